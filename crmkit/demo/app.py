"""The demo's CRM: an SQLite file with every installed plugin, migrated; users log in as anywhere."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import attrs
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


def open_demo(database: Path, url: str = "http://127.0.0.1:8000") -> Crm:
    """The demo CRM on ``database`` (created if missing), its schema upgraded to the heads,
    with the settings each plugin asks for to work when served at ``url`` (``demo_settings``)."""
    settings = Settings(
        database_url=f"sqlite:///{database}",
        plugins={"*": True},
        source="crmkit demo",
    )
    probe = Crm(settings)
    asked = plugin_settings(probe, url, demo_secret(database))
    probe.close()
    crm = Crm(attrs.evolve(settings, plugin_settings=asked))
    upgrade(crm)
    return crm


def plugin_settings(crm: Crm, url: str, secret: str) -> dict[str, Any]:
    """What ``crm``'s plugins ask for to work in the demo (``demo_settings``), merged."""
    asked: dict[str, Any] = {}
    for answer in crm.host.call("demo_settings", url=url, secret=secret):
        asked.update(answer)
    return asked


def demo_secret(database: Path) -> str:
    """A random secret kept beside ``database`` (readable by its owner alone), made on first use:
    links the demo signed stay valid when it is started again."""
    path = database.with_name(database.name + ".secret")
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        secret = secrets.token_urlsafe(32)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
            out.write(secret + "\n")
        return secret


def demo_asgi(crm: Crm, *, long_lived: bool = False) -> Starlette:
    """The web application of the demo, saying on every page that it is one and how to log in.

    ``long_lived`` as for :func:`crmkit.web.app.create_asgi`.
    """
    return create_asgi(crm, notice=NOTICE, login_hint=LOGIN_HINT, long_lived=long_lived)
