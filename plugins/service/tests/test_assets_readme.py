"""The README's sections on warranty, dispatch and the help desk are true: routes, settings, permissions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
import pytest
from crmkit_service.assets import access as asset_access
from crmkit_service.assets import routes as asset_routes
from crmkit_service.assets.settings import AssetSettings
from crmkit_service.dispatch import access as dispatch_access
from crmkit_service.dispatch import events as dispatch_events
from crmkit_service.dispatch import routes as dispatch_routes
from crmkit_service.dispatch.settings import DispatchSettings
from crmkit_service.helpdesk import access as helpdesk_access
from crmkit_service.helpdesk import routes as helpdesk_routes
from crmkit_service.helpdesk.settings import HelpdeskSettings
from starlette.routing import Route

TEXT = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
SECTIONS = {
    "Warranty and entitlements": (asset_routes.ROUTES, AssetSettings),
    "Field and roadside dispatch": (dispatch_routes.ROUTES, DispatchSettings),
    "Help desk": (helpdesk_routes.ROUTES, HelpdeskSettings),
}


def section(title: str) -> str:
    found = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", TEXT, re.M | re.S)
    assert found, f"README has no section {title!r}"
    return found.group(1)


def table_rows(text: str) -> list[list[str]]:
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith("|")
    ]
    return [r for r in rows[2:] if not all(set(c) <= {"-"} for c in r)] if rows else []


def documented_routes(text: str) -> set[tuple[str, str]]:
    found = set()
    for method, path in re.findall(r"`(GET|POST|PATCH|DELETE) (/p/service/[^`?\s]+)[^`]*`", text):
        found.add((method, re.sub(r"\{[a-z_]+\}", "{id}", path)))
    return found


def declared_routes(routes: Sequence[object]) -> set[tuple[str, str]]:
    found = set()
    for route in routes:
        assert isinstance(route, Route)
        path = re.sub(r"\{[a-z_]+(:id)?\}", "{id}", f"/p/service{route.path}")
        found |= {(m, path) for m in (route.methods or ()) if m != "HEAD"}
    return found


@pytest.mark.parametrize("title", SECTIONS)
def test_every_route_is_documented_and_every_documented_route_exists(title: str) -> None:
    routes, _ = SECTIONS[title]
    assert documented_routes(section(title)) == declared_routes(routes)


@pytest.mark.parametrize("title", SECTIONS)
def test_the_settings_tables_name_each_setting_with_its_default(title: str) -> None:
    _, settings = SECTIONS[title]
    text = section(title)
    match = re.search(r"### Settings: .*?\n\n(\|.*?)\n\n", text, re.S)
    assert match, title
    documented = {r[0].strip("`"): r[1] for r in table_rows(match.group(1))}
    defaults = {f.name: f.default for f in attrs.fields(settings)}
    assert set(documented) == set(defaults)
    for name, default in defaults.items():
        assert documented[name].strip("`") == shown(default), name


def shown(default: object) -> str:
    """A default as the README writes it: TOML, or "none" for no value."""
    if default is None:
        return "none"
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, str):
        return f'"{default}"'
    return str(default)


@pytest.mark.parametrize(
    ("title", "declared"),
    [
        ("Warranty and entitlements", asset_access.PERMISSIONS),
        ("Field and roadside dispatch", dispatch_access.PERMISSIONS),
        ("Help desk", helpdesk_access.PERMISSIONS),
    ],
)
def test_the_permissions_table_is_what_is_granted(title: str, declared: Sequence[Any]) -> None:
    match = re.search(r"### Permissions\n\n(\|.*?)\n\n", section(title), re.S)
    assert match, title
    documented = {r[0].strip("`"): (r[1], r[2]) for r in table_rows(match.group(1))}
    assert set(documented) == {p.name for p in declared}
    for permission in declared:
        allows, roles = documented[permission.name]
        assert roles == ", ".join(permission.roles), permission.name
        assert allows.rstrip(".") == permission.description.rstrip("."), permission.name


def test_the_events_of_visits_are_documented() -> None:
    text = section("Field and roadside dispatch")
    match = re.search(r"### Events\n\n(\|.*?)\n\n", text, re.S)
    assert match
    documented = {r[0].strip("`") for r in table_rows(match.group(1))}
    assert documented == {e.name for e in dispatch_events.EVENT_TYPES}
