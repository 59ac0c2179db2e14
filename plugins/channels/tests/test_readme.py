"""The plugin's README is true: its example configuration loads, its tables name every setting."""

from __future__ import annotations

import re
from pathlib import Path

import attrs
from crmkit_channels.settings import ChannelsSettings, SmsSettings, SmtpSettings

from crmkit.testing import make_app, settings_from_file

README = Path(__file__).resolve().parent.parent / "README.md"
TEXT = README.read_text(encoding="utf-8")


def _keys_in_tables(text: str) -> set[str]:
    keys: set[str] = set()
    for row in re.findall(r"^\| (`[^|]+`) \|", text, re.M):
        keys |= set(re.findall(r"`([a-z_]+)`", row))
    return keys


def test_the_example_configuration_loads(tmp_path: Path) -> None:
    [example] = re.findall(r"^```toml\n(.*?)^```$", TEXT, re.M | re.S)
    config = tmp_path / "crmkit.toml"
    config.write_text(example)
    app = make_app(["channels"], settings=settings_from_file(config), create_tables=False)
    try:
        settings: ChannelsSettings = app.settings_of["channels"]
    finally:
        app.close()
    assert settings.smtp == SmtpSettings("smtp.acme.example", 587, "starttls", "crm", "secret")
    assert settings.dkim is not None and settings.dkim.selector == "crm"
    welcome = settings.template("welcome")
    assert welcome is not None and welcome.html is not None
    assert settings.sms.from_number == "+4915112345678" and settings.sms.template("code")


def test_every_setting_has_a_row_and_every_row_is_a_setting() -> None:
    settings_section = TEXT.split("## Settings")[1].split("\n## ")[0]
    names = {f.name for f in attrs.fields(ChannelsSettings)} | {
        f.name for f in attrs.fields(SmtpSettings)
    }
    assert _keys_in_tables(settings_section) == names


def test_every_sms_setting_has_a_row_and_every_row_is_a_setting() -> None:
    sms_section = TEXT.split("`[plugins.channels.sms]`:")[1].split("\n### ")[0]
    assert _keys_in_tables(sms_section) == {f.name for f in attrs.fields(SmsSettings)}
