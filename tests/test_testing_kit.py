"""The test kit's helpers for plugin tests: settings from a crmkit.toml, the demo's data."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crmkit import Crm, hookimpl, party_table, user_table
from crmkit.testing import (
    DEMO_PASSWORD,
    http_client,
    register_plugin,
    seed_demo_data,
    settings_from_file,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_settings_from_file_reads_the_file_and_not_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "crmkit.toml"
    config.write_text(
        '[crmkit]\ndefault_region = "AT"\n[plugins.sfa]\nenabled = false\nphases = 5\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("CRMKIT_DEFAULT_REGION", "CH")

    settings = settings_from_file(config)

    assert settings.default_region == "AT"
    assert settings.plugins == {"sfa": False}
    assert settings.plugin_settings == {"sfa": {"phases": 5}}
    assert settings.source == str(config)


def test_settings_from_a_missing_file_is_an_error_not_the_defaults(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"absent\.toml"):
        settings_from_file(tmp_path / "absent.toml")


def test_seed_demo_data_writes_the_demo_and_each_plugins_seed(
    make_crm: Callable[..., Crm],
) -> None:
    seeded_by_plugin: list[datetime] = []

    class Seeder:
        @hookimpl
        def seed_demo(self, now: datetime) -> None:
            seeded_by_plugin.append(now)

    crm = make_crm(plugins=[register_plugin(Seeder(), name="seeder")])

    seed_demo_data(crm, customers=3, prospects=4, now=NOW)

    with crm.engine.connect() as conn:
        roles = dict(
            conn.execute(
                select(party_table.c.role, func.count()).group_by(party_table.c.role)
            ).all()
        )
        username = conn.execute(
            select(user_table.c.username).where(user_table.c.role == "sales").limit(1)
        ).scalar_one()
    assert roles == {"customer": 3, "prospect": 4}
    assert seeded_by_plugin == [NOW]
    client = http_client(crm)
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    login = {"username": username, "password": DEMO_PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/login", data=login).status_code == 200
    assert client.get("/api/v1/customers").status_code == 200


def test_seeding_demo_data_twice_is_an_error(make_crm: Callable[..., Crm]) -> None:
    crm = make_crm()
    seed_demo_data(crm, customers=2, prospects=2, now=NOW)

    with pytest.raises(RuntimeError, match="demo data already"):
        seed_demo_data(crm, customers=2, prospects=2, now=NOW)
