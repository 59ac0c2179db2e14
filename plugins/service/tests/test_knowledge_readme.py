"""The README's knowledge-base section is true: its settings, permissions, routes and events."""

from __future__ import annotations

import re
from pathlib import Path

import attrs
from crmkit_service.knowledge import access, events, routes
from crmkit_service.knowledge.settings import KnowledgeSettings
from starlette.routing import Route

README = Path(__file__).resolve().parent.parent / "README.md"
SECTION = re.search(
    r"^## Knowledge base\n(.*?)(?=^## |\Z)", README.read_text(encoding="utf-8"), re.M | re.S
)
assert SECTION is not None
TEXT = SECTION.group(1)


def table_after(heading: str) -> list[list[str]]:
    """The body rows of the first table under ``### heading``."""
    part = TEXT.split(f"### {heading}\n", 1)[1].split("\n### ", 1)[0]
    lines = [line for line in part.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def test_the_settings_table_lists_every_setting_with_its_default() -> None:
    listed = {
        row[0].strip("`"): row[1].strip("`")
        for row in table_after("Settings: `[plugins.service.knowledge]`")
    }
    defaults = KnowledgeSettings()
    assert set(listed) == {f.name for f in attrs.fields(KnowledgeSettings)}
    for name, default in listed.items():
        assert default.strip('"') == str(getattr(defaults, name))


def test_the_permissions_table_names_each_permission_and_its_roles() -> None:
    listed = {row[0].strip("`"): row[2].split(", ") for row in table_after("Permissions")}
    assert listed == {p.name: list(p.roles) for p in access.PERMISSIONS}


def test_the_routes_table_holds_every_route() -> None:
    documented = set()
    for row in table_after("Routes"):
        methods, path = row[0].strip("`").replace("`", "").rsplit(" ", 1)
        for method in methods.split(", "):
            documented.add((method, re.sub(r"\{\w+\}", "{}", path.removeprefix("/p/service"))))
    served = {
        (method, re.sub(r"\{[^}]+\}", "{}", route.path))
        for route in routes.ROUTES
        if isinstance(route, Route)
        for method in (route.methods or set()) - {"HEAD"}
    }
    assert documented == served


def test_the_events_table_names_every_event() -> None:
    part = TEXT.split("### Events and commands\n", 1)[1]
    listed = [
        line.split("|")[1].strip().strip("`")
        for line in part.splitlines()[2:]
        if line.startswith("| `")
    ]
    assert listed == [e.name for e in events.EVENT_TYPES]
