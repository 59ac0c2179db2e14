"""The README's sections on cases, email to case and survey feedback say what the code does."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import attrs
from crmkit_service.cases import events, routes
from crmkit_service.cases.access import PERMISSIONS
from crmkit_service.cases.model import TRANSITIONS
from crmkit_service.cases.settings import CaseSettings, FeedbackSettings
from crmkit_service.inbound.settings import EmailToCaseSettings

TEXT = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def section(title: str, level: str = "##", within: str = TEXT) -> str:
    """The section ``title`` of ``within`` (the README), up to the next heading."""
    ends = "^## " if level == "##" else "^#{2,3} "
    found = re.search(rf"^{level} {re.escape(title)}\n(.*?)(?={ends}|\Z)", within, re.M | re.S)
    assert found, f"README has no section {title!r}"
    return found.group(1)


CASES = section("Cases")
EMAIL = section("Email to case and auto-answers")
SURVEY = section("Survey feedback")


def rows(text: str) -> list[list[str]]:
    cells = [
        [c.strip() for c in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith("|")
    ]
    return [r for r in cells[2:] if not all(set(c) <= {"-", " "} for c in r)]


def keys(text: str) -> set[str]:
    return {r[0].strip("`") for r in rows(text)}


def test_the_settings_tables_name_every_setting() -> None:
    cases = section("Settings: `[plugins.service.cases]`", "###", CASES)
    assert keys(cases) == {f.name for f in attrs.fields(CaseSettings)}
    feedback = section("Settings: `[plugins.service.cases.feedback]`", "###", SURVEY)
    assert keys(feedback) == {f.name for f in attrs.fields(FeedbackSettings)}
    email = section("Settings: `[plugins.service.email_to_case]`", "###", EMAIL)
    assert keys(email) == {f.name for f in attrs.fields(EmailToCaseSettings)}


def test_the_example_settings_load() -> None:
    email = section("Settings: `[plugins.service.email_to_case]`", "###", EMAIL)
    toml = re.search(r"```toml\n(.*?)```", email, re.S)
    assert toml
    loaded = tomllib.loads(toml.group(1))["plugins"]["service"]["email_to_case"]
    settings = EmailToCaseSettings(**loaded)
    assert settings.addresses == ("support@crm.acme.example",)


def test_permissions_events_lifecycle_and_routes_are_listed() -> None:
    cases = CASES
    assert {r[0].strip("`"): r[2] for r in rows(cases) if r[0].startswith("`service:")} == {
        p.name: ", ".join(p.roles) for p in PERMISSIONS
    }
    lifecycle = {r[0]: tuple(r[1].split(", ")) for r in rows(cases) if r[0] in TRANSITIONS}
    assert lifecycle == TRANSITIONS
    listed = set(re.findall(r"^\| `(service\.case_\w+)`", section("Events", "###", CASES), re.M))
    assert listed == {e.name for e in events.EVENT_TYPES}

    def shape(path: str) -> str:
        return re.sub(r"\{[^}]*\}", "{}", path)

    documented = {
        shape(p) for p in re.findall(r"/p/service(/[\w/{}]+)", section("Routes", "###", CASES))
    }
    declared = {shape(getattr(route, "path", "")) for route in routes.ROUTES}
    assert documented == declared
