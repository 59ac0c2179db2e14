"""Test kit for crmkit and its plugins (also registered as the ``crmkit`` pytest plugin).

``pip install crmkit[testing]`` brings what it runs on: pytest, httpx2 for
Starlette's ``TestClient`` behind :func:`http_client`, and Playwright for :func:`chromium`.

* :func:`make_app` builds a CRM with only the plugins named, on a fresh database
  (SQLite, or PostgreSQL when ``CRMKIT_TEST_DATABASE_URL`` is set).
* :func:`register_plugin` turns any object with ``@hookimpl`` functions into a
  throwaway plugin for one test.
* :func:`check_plugin` is the contract test every plugin runs.
* :func:`add_user` writes a user and gives the actor acting for it; :func:`add_party` a
  party (a person in Berlin unless told otherwise).
* :func:`invoke` runs a ``crmkit`` command against a test application.
* :func:`settings_from_file` reads a ``crmkit.toml`` as the application does.
* :func:`seed_demo_data` writes the demo's data (users log in with
  :data:`DEMO_PASSWORD`), for testing a plugin's ``seed_demo``.
* :func:`unbounded_inputs` finds the texts and lists of request bodies that
  have no declared limit.
* :func:`smtp_relay` (and the fixture of that name) runs a real SMTP server on loopback
  that keeps what it receives (aiosmtpd).
* :func:`served` runs a CRM's web application on a free port (:func:`served_asgi`
  any ASGI application: a remote system's stand-in), :func:`chromium`
  gives headless Chromium (Playwright), :func:`require_browser` skips a test
  module without them: end-to-end tests in a real browser.
"""

from __future__ import annotations

from crmkit.testing.apps import (
    TestDatabase,
    crm_maker,
    http_client,
    make_app,
    register_plugin,
    settings_from_file,
    test_database,
)
from crmkit.testing.bodies import unbounded_inputs
from crmkit.testing.browser import chromium, require_browser, served, served_asgi
from crmkit.testing.cli import invoke
from crmkit.testing.contract import check_plugin
from crmkit.testing.demo import DEMO_PASSWORD, seed_demo_data
from crmkit.testing.mail import SmtpInbox, smtp_relay
from crmkit.testing.parties import add_party
from crmkit.testing.users import Staff, add_staff, add_user

__all__ = [
    "DEMO_PASSWORD",
    "SmtpInbox",
    "Staff",
    "TestDatabase",
    "add_party",
    "add_staff",
    "add_user",
    "check_plugin",
    "chromium",
    "crm_maker",
    "http_client",
    "invoke",
    "make_app",
    "register_plugin",
    "require_browser",
    "seed_demo_data",
    "served",
    "served_asgi",
    "settings_from_file",
    "smtp_relay",
    "test_database",
    "unbounded_inputs",
]
