"""The README's SLA section is true: its settings with their defaults, its routes, its permissions."""

from __future__ import annotations

import re
from pathlib import Path

import attrs
from crmkit_service.sla import access, pages, routes
from crmkit_service.sla.settings import SlaSettings
from starlette.routing import Route

README = Path(__file__).resolve().parent.parent / "README.md"
SECTION = re.search(r"^## SLAs\n(.*?)(?=^## |\Z)", README.read_text(encoding="utf-8"), re.M | re.S)
assert SECTION is not None
TEXT = SECTION.group(1)


def table_rows(first_header: str) -> list[list[str]]:
    """The body rows of the table whose header starts with ``| first_header |``."""
    return table_rows_of(TEXT, first_header)


def table_rows_of(text: str, first_header: str) -> list[list[str]]:
    """The body rows of the first table of ``text`` whose header starts with ``| first_header |``."""
    part = text.split(f"| {first_header} |", 1)[1]
    lines = []
    for line in part.splitlines()[2:]:
        if not line.startswith("|"):
            break
        lines.append([cell.strip() for cell in line.strip("|").split("|")])
    return lines


def test_the_settings_table_lists_every_setting_with_its_default() -> None:
    listed = {row[0].strip("`"): row[1].strip("`") for row in table_rows("key")}
    assert set(listed) == {f.name for f in attrs.fields(SlaSettings)}
    defaults = SlaSettings()
    assert listed["warning_percent"] == str(defaults.warning_percent)
    assert listed["escalation_step_minutes"] == str(defaults.escalation_step_minutes)
    assert listed["tier_field"] == f'"{defaults.tier_field}"'
    assert listed["escalation"] == str(list(defaults.escalation)).replace("'", '"')


def test_the_routes_table_holds_every_route() -> None:
    documented = set()
    for row in table_rows("method and path"):
        for chunk in re.findall(r"`([A-Z, ]+) (/p/service/[^`?]+)[^`]*`", row[0]):
            methods, path = chunk
            for method in methods.split(", "):
                documented.add((method, re.sub(r"\{\w+\}", "{}", path.removeprefix("/p/service"))))
    served = {
        (method, re.sub(r"\{[^}]+\}", "{}", route.path))
        for route in [*routes.ROUTES, *pages.ROUTES]
        if isinstance(route, Route)
        for method in (route.methods or set()) - {"HEAD"}
    }
    assert documented == served


def test_the_permissions_table_is_what_is_granted() -> None:
    part = TEXT.split("### Permissions\n", 1)[1]
    listed = {row[0].strip("`"): row[2] for row in table_rows_of(part, "permission")}
    assert listed == {p.name: ", ".join(p.roles) for p in access.PERMISSIONS}
