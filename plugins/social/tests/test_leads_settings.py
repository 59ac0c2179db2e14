"""``[plugins.social.leads]``: what it accepts, and bad values refused at start naming the key."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_social.leads.intake import settings_of

from crmkit import ConfigurationError, PluginError


def test_settings_are_read(make_social: Any) -> None:
    crm = make_social(
        social={
            "leads": {
                "fields": {"vorname": "first_name", "newsletter": "consent:newsletter:email"},
                "vouched": True,
                "consent_purpose": "offers",
                "consent_channels": ["email", "sms"],
            }
        }
    )
    settings = settings_of(crm)
    assert settings.fields == {"vorname": "first_name", "newsletter": "consent:newsletter:email"}
    assert settings.vouched and settings.consent_channels == ("email", "sms")


@pytest.mark.parametrize(
    ("leads", "key"),
    [
        ({"fields": {"modell": "vehicle"}}, "fields"),
        ({"consent_channels": ["fax"]}, "consent_channels"),
        ({"consent_purpose": "Marketing!"}, "consent_purpose"),
    ],
)
def test_bad_settings_are_refused_naming_the_key(
    make_social: Any, leads: dict[str, Any], key: str
) -> None:
    with pytest.raises((ConfigurationError, PluginError)) as refused:
        make_social(social={"leads": leads})
    assert f"plugins.social.leads.{key}" in str(refused.value)


def test_the_documented_example_loads(make_social: Any) -> None:
    import re
    import tomllib
    from pathlib import Path

    page = (Path(__file__).parent.parent / "docs" / "leads.md").read_text(encoding="utf-8")
    [example] = re.findall(r"```toml\n(.*?)```", page, re.S)
    table = tomllib.loads(example)["plugins"]["social"]
    settings = settings_of(make_social(social=table))
    assert settings.fields["vorname"] == "first_name"
    assert settings.consent_channels == ("email",)
