"""The invitations documentation: its settings snippet is what the plugin reads (the defaults),
its example rule is taken as it stands, and every route, event and job is in it."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

from crmkit_surveys.invitations.event_types import EVENT_TYPES
from crmkit_surveys.invitations.jobs import JOBS
from crmkit_surveys.invitations.routes import ROUTES
from crmkit_surveys.invitations.rules import create_rule
from crmkit_surveys.invitations.settings import InvitationsSettings
from starlette.routing import Route

DOC = Path(__file__).parents[1] / "docs" / "invitations.md"


def test_the_documented_settings_are_read_and_are_the_defaults(make_surveys: Any) -> None:
    (snippet,) = re.findall(r"```toml\n(.*?)```", DOC.read_text(), re.S)
    given = tomllib.loads(snippet)["plugins"]["surveys"]["invitations"]
    crm = make_surveys(surveys={"invitations": given})
    assert crm.settings_of["surveys"].invitations == InvitationsSettings()
    for key, value in given.items():
        shown = json.dumps(value)
        assert f"| `{key}` | `{shown}` |" in DOC.read_text()


def test_the_documented_rule_is_taken(make_surveys: Any, publish_survey: Any) -> None:
    crm = make_surveys(with_plugins=("service",))
    survey_id = publish_survey(crm)
    rule = json.loads(re.findall(r"```json\n(.*?)```", DOC.read_text(), re.S)[1])
    with crm.transaction() as tx:
        made = create_rule(tx, {**rule, "survey_id": survey_id})
    assert (made.event_type, made.conditions) == (rule["event_type"], rule["conditions"])


def test_every_route_event_and_job_is_documented() -> None:
    text = DOC.read_text()
    for route in ROUTES:
        assert isinstance(route, Route)
        path = route.path.replace("{send_id:id}", "{send_id}")
        path = re.sub(r"\{\w+:id\}", "{id}", path)
        assert path in text, path
    for event_type in EVENT_TYPES:
        assert f"`{event_type.name}`" in text
    for job in JOBS:
        assert f"`{job.name}`" in text
