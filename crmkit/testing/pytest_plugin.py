"""Fixtures for crmkit and plugin tests: ``crm_db``, ``make_crm``, ``crm``, ``client_as``,
``new_party``, ``new_user``, ``staff``, ``smtp_relay``.

Every database test runs on SQLite, or on PostgreSQL when
``CRMKIT_TEST_DATABASE_URL`` is set (each test gets a schema of its own).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from crmkit.app import Crm
from crmkit.core.actors import Actor
from crmkit.hooks.markers import hookimpl
from crmkit.testing.apps import TestDatabase, http_client, make_app, register_plugin, test_database
from crmkit.testing.mail import smtp_relay as running_smtp_relay
from crmkit.testing.parties import add_party
from crmkit.testing.users import Staff, add_staff, add_user


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


@pytest.fixture
def client_as(crm: Crm, make_crm: Callable[..., Crm]) -> Callable[[Actor], Any]:
    """``client_as(actor)``: an HTTP client of ``crm`` (the kernel's, or the one a plugin's
    conftest makes) signed on as ``actor``, with the same plugins and settings."""

    def make(actor: Actor) -> Any:
        class SignOn:
            @hookimpl
            def actor_from_request(self, app: Crm, request: Any) -> Actor:
                return actor

        app = make_crm(
            plugins=[*crm.host.loaded, register_plugin(SignOn(), name="signon")],
            settings=crm.settings,
            create_tables=False,
        )
        return http_client(app)

    return make


@pytest.fixture
def new_party(crm: Crm) -> Callable[..., int]:
    """``new_party(role="customer", owner_id=None, consent=(), **data)``: :func:`add_party` on
    ``crm`` (the kernel's, or the one a plugin's conftest makes); a person in Berlin (territory
    DE-10) unless ``data`` says otherwise. Its id."""
    return partial(add_party, crm)


@pytest.fixture
def new_user(crm: Crm) -> Callable[..., Actor]:
    """``new_user(username, role, team=None, manager_id=None, territories=())``:
    :func:`add_user` on ``crm``; the actor acting for the new user."""
    return partial(add_user, crm)


@pytest.fixture
def staff(crm: Crm) -> Staff:
    """:class:`~crmkit.testing.Staff` on ``crm``: an admin, a marketer, a manager of DE-10, a sales rep of
    FR-75, a service agent (a plugin's conftest may give its own ``staff``)."""
    return add_staff(crm)


@pytest.fixture
def smtp_relay() -> Iterator[Any]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd) for this test: ``smtp_relay.port`` to send
    to, ``smtp_relay.handler.messages`` the messages it accepted."""
    with running_smtp_relay() as relay:
        yield relay
