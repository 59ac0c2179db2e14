"""Fixtures for crmkit and plugin tests: ``crm_db``, ``make_crm``, ``crm``.

Every database test runs on SQLite, or on PostgreSQL when
``CRMKIT_TEST_DATABASE_URL`` is set (each test gets a schema of its own).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from crmkit.app import Crm
from crmkit.testing.apps import TestDatabase, make_app, test_database


@pytest.fixture
def crm_db(tmp_path: Path) -> Iterator[TestDatabase]:
    """A fresh empty database for this test."""
    with test_database(tmp_path) as db:
        yield db


@pytest.fixture
def make_crm(crm_db: TestDatabase) -> Iterator[Callable[..., Crm]]:
    """``make_crm(plugins=[...], **options)``: an app on this test's database, closed afterwards."""
    apps: list[Crm] = []

    def factory(plugins: Any = (), **options: Any) -> Crm:
        options.setdefault("database", crm_db)
        app = make_app(plugins, **options)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.close()


@pytest.fixture
def crm(make_crm: Callable[..., Crm]) -> Crm:
    """The kernel alone, tables created, on this test's database."""
    return make_crm()
