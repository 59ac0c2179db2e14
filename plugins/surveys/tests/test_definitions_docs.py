"""The definitions documentation: its settings snippet is what the plugin reads (the
defaults), its example definition is valid, and every route and event is in it; the
plugin keeps crmkit's contract."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from crmkit_surveys.definitions.event_types import EVENT_TYPES
from crmkit_surveys.definitions.language import read_definition
from crmkit_surveys.definitions.routes import ROUTES
from crmkit_surveys.definitions.settings import DefinitionsSettings
from starlette.routing import Route

from crmkit import PluginError
from crmkit.testing import check_plugin

DOC = Path(__file__).parents[1] / "docs" / "definitions.md"


def test_the_documented_settings_are_read_and_are_the_defaults(make_surveys: Any) -> None:
    (snippet,) = re.findall(r"```toml\n(.*?)```", DOC.read_text(), re.S)
    limits = tomllib.loads(snippet)["plugins"]["surveys"]["definitions"]
    crm = make_surveys(surveys={"definitions": limits})
    assert crm.settings_of["surveys"].definitions == DefinitionsSettings()
    for key, value in limits.items():
        assert f"| `{key}` | `{value}` |" in DOC.read_text()


def test_a_limit_out_of_range_is_refused_at_start_up(make_surveys: Any) -> None:
    with pytest.raises(PluginError, match="max_pages"):
        make_surveys(surveys={"definitions": {"max_pages": 0}})


def test_the_documented_definition_is_valid() -> None:
    (example,) = re.findall(r"## The definition.*?```json\n(.*?)```", DOC.read_text(), re.S)
    definition = read_definition(json.loads(example))
    assert definition.languages == ("en", "de") and len(definition.pages) == 2


def test_every_route_and_event_is_documented() -> None:
    text = DOC.read_text()
    for route in ROUTES:
        assert isinstance(route, Route) and route.methods is not None
        path = "/p/surveys" + route.path.replace("{survey_id:id}", "{id}").replace(
            "{version_id:id}", "{version_id}"
        )
        for method in route.methods - {"HEAD"}:
            assert re.search(rf"`{method} {re.escape(path)}(\?[^`]*)?`", text), (method, path)
    for event in EVENT_TYPES:
        assert f"`{event.name}`" in text


def test_the_plugin_keeps_the_contract() -> None:
    check_plugin("surveys")
