"""The events documentation's settings snippet is what the plugin reads, defaults included."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from crmkit_campaigns.events.settings import EventSettings

from crmkit import PluginError

DOC = Path(__file__).parents[1] / "docs" / "events.md"


def test_the_documented_settings_are_read_and_are_the_defaults(make_campaigns: Any) -> None:
    (snippet,) = re.findall(r"```toml\n(.*?)```", DOC.read_text(), re.S)
    events = tomllib.loads(snippet)["plugins"]["campaigns"]["events"]
    crm = make_campaigns(campaigns={"events": events})
    assert crm.settings_of["campaigns"].events == EventSettings()
    assert EventSettings() == EventSettings(**events)
    for key, value in events.items():
        assert f"| `{key}` | `{value!r}`".replace("'", '"') in DOC.read_text()


@pytest.mark.parametrize("zone", ["Nowhere/X", "", "../etc/passwd"])
def test_a_default_time_zone_that_does_not_exist_is_refused_at_start_up(
    make_campaigns: Any, zone: str
) -> None:
    with pytest.raises(PluginError, match="default_time_zone"):
        make_campaigns(campaigns={"events": {"default_time_zone": zone}})
