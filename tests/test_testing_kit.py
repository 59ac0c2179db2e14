"""The test kit's helpers for plugin tests: settings from a crmkit.toml, the demo's data."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from sqlalchemy import func, select, text

from crmkit import Crm, hookimpl, party_table, user_table
from crmkit.core.db import make_engine
from crmkit.testing import (
    DEMO_PASSWORD,
    add_party,
    http_client,
    make_app,
    register_plugin,
    seed_demo_data,
    settings_from_file,
    test_database,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent


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


def test_test_database_takes_its_folder_as_a_path_or_a_string(tmp_path: Path) -> None:
    for folder in (tmp_path / "as-path", str(tmp_path / "as-text")):
        Path(folder).mkdir()
        with test_database(folder) as db:
            crm = make_app(database=db)
            with crm.read() as conn:
                assert conn.execute(select(func.count()).select_from(party_table)).scalar() == 0
            crm.close()


# What a plugin's suite does with the kit, run where every warning is an error.
KIT_IN_USE = """
import tempfile
from crmkit.testing import http_client, invoke, make_app, test_database

with tempfile.TemporaryDirectory() as folder, test_database(folder) as db:
    crm = make_app(database=db)
    with http_client(crm) as client:
        assert client.get("/api/v1/health").status_code == 200
    assert invoke(crm, "jobs", "list").exit_code == 0
    crm.close()
"""


def test_the_kit_in_use_warns_nothing() -> None:
    run = subprocess.run(
        [sys.executable, "-W", "error", "-c", KIT_IN_USE],
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"},
    )
    assert run.returncode == 0, run.stderr[-3000:]


def test_the_testing_extra_brings_what_the_kit_imports_and_nothing_more() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extra = {Requirement(r).name for r in project["optional-dependencies"]["testing"]}
    kernel = {Requirement(r).name for r in project["dependencies"]}
    distributions = packages_distributions()
    imported = {
        name
        for path in (ROOT / "crmkit" / "testing").glob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for module in (
            [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        )
        for name in distributions.get(module.partition(".")[0], [])
    }
    needed = {canonicalize_name(n) for n in imported} - {canonicalize_name(n) for n in kernel}
    needed -= {"crmkit"}
    # Starlette's TestClient, behind http_client, runs on httpx2 from Starlette 1.2 on.
    assert {canonicalize_name(n) for n in extra} == needed | {"httpx2", "starlette"}


@pytest.mark.skipif(
    not os.environ.get("CRMKIT_TEST_DATABASE_URL"), reason="kept schemas are PostgreSQL's"
)
def test_a_schema_kept_from_an_earlier_test_comes_empty_under_the_new_tests_name(
    tmp_path: Path,
) -> None:
    with test_database(tmp_path) as earlier:
        add_party(make_app(database=earlier), last_name="Left behind")
    with test_database(tmp_path) as later:
        # Read before the tables are made, as a fixture starting a process of its own does.
        reached_by = later.session_url
        crm = make_app(database=later)
        with make_engine(reached_by).connect() as conn:
            assert conn.execute(select(func.count()).select_from(party_table)).scalar() == 0
        assert add_party(crm) == 1
        assert later.schema is not None and later.schema != earlier.schema


@pytest.mark.skipif(
    not os.environ.get("CRMKIT_TEST_DATABASE_URL"), reason="kept schemas are PostgreSQL's"
)
def test_a_kept_schemas_tables_are_never_vacuumed(tmp_path: Path) -> None:
    # Vacuum would let the next test's rows fill the room of the deleted ones, and a read
    # without ORDER BY would no longer give them in the order they were written.
    with test_database(tmp_path) as earlier:
        make_app(database=earlier)
    with test_database(tmp_path) as later:
        crm = make_app(database=later)
        with crm.engine.connect() as conn:
            options = conn.execute(
                text(
                    "SELECT c.relname, c.reloptions FROM pg_class c"
                    " JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = :schema AND c.relkind = 'r'"
                ),
                {"schema": later.schema},
            ).all()
        assert later.schema != earlier.schema
        assert options and all(
            "autovacuum_enabled=false" in (found or []) for _, found in options
        ), options
