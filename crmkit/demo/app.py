"""The demo's CRM: an SQLite file with every installed plugin, migrated; users log in as anywhere."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette

from crmkit.app import Crm
from crmkit.core.migrate import upgrade
from crmkit.core.settings import Settings
from crmkit.demo.data import ADMIN_USERNAME, DEMO_PASSWORD
from crmkit.web.app import create_asgi

NOTICE = "Demo mode: generated data; every demo user's password is public."
LOGIN_HINT = (
    f"Demo: log in as {ADMIN_USERNAME} (or m.keller, a manager) with the password {DEMO_PASSWORD}."
)


def open_demo(database: Path) -> Crm:
    """The demo CRM on ``database`` (created if missing), its schema upgraded to the heads."""
    settings = Settings(
        database_url=f"sqlite:///{database}",
        plugins={"*": True},
        source="crmkit demo",
    )
    crm = Crm(settings)
    upgrade(crm)
    return crm


def demo_asgi(crm: Crm) -> Starlette:
    """The web application of the demo, saying on every page that it is one and how to log in."""
    return create_asgi(crm, notice=NOTICE, login_hint=LOGIN_HINT)
