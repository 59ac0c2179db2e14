"""Bad ``[plugins.social.conversations]`` settings are refused at start, naming the full key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from crmkit import PluginError


@pytest.mark.parametrize(
    ("conversations", "key"),
    [
        ({"complaint_words": "kaputt"}, "complaint_words"),
        ({"messages_per_second": 0}, "messages_per_second"),
        ({"human_agent_tag": "maybe"}, "human_agent_tag"),
        ({"posts_per_sec": 1}, "posts_per_sec"),
    ],
)
def test_a_bad_setting_is_refused_naming_its_key(
    make_social: Callable[..., Any], conversations: dict[str, Any], key: str
) -> None:
    with pytest.raises(PluginError) as refused:
        make_social(social={"conversations": conversations}, create_tables=False)
    assert f"plugins.social.conversations.{key}" in str(refused.value)


def test_extra_complaint_words_are_read_in_lower_case(make_social: Callable[..., Any]) -> None:
    crm = make_social(social={"conversations": {"complaint_words": [" Zumutung "]}})
    assert crm.settings_of["social"].conversations.complaint_words == ("zumutung",)


def test_the_docs_example_loads_and_names_every_setting(make_social: Callable[..., Any]) -> None:
    import re
    import tomllib
    from pathlib import Path

    import attrs
    from crmkit_social.conversations.settings import ConversationsSettings

    page = (Path(__file__).parent.parent / "docs" / "conversations.md").read_text(encoding="utf-8")
    [example] = re.findall(r"```toml\n(.*?)```", page, re.S)
    table = tomllib.loads(example)["plugins"]["social"]
    settings = make_social(social=table).settings_of["social"].conversations
    assert settings.complaint_words == ("zumutung", "lamentable")
    assert {f.name for f in attrs.fields(ConversationsSettings)} <= set(table["conversations"])
