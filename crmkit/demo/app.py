"""The demo's CRM: an SQLite file, every installed plugin and the ``demo`` login, migrated."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette

from crmkit.app import Crm
from crmkit.core.migrate import upgrade
from crmkit.core.settings import Settings
from crmkit.demo.plugin import PLUGIN
from crmkit.hooks.host import candidate_from_info, discover
from crmkit.web.app import create_asgi

NOTICE = "Demo mode: generated data, and every visitor acts as the administrator."


def open_demo(database: Path) -> Crm:
    """The demo CRM on ``database`` (created if missing), its schema upgraded to the heads."""
    settings = Settings(
        database_url=f"sqlite:///{database}",
        plugins={"*": True},
        source="crmkit demo",
    )
    crm = Crm(settings, candidates=[*discover(), candidate_from_info(PLUGIN)])
    upgrade(crm)
    return crm


def demo_asgi(crm: Crm) -> Starlette:
    """The web application of the demo, saying on every page that it is one."""
    return create_asgi(crm, notice=NOTICE)
