"""The plugin's own hook implementations. What its parts declare (tables, permissions, routes,
privacy, demo data …) crmkit gathers itself: ``PluginInfo.parts`` names them."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from crmkit import hookimpl

# --- conversations


@hookimpl
def add_hookspecs() -> ModuleType:
    from crmkit_social import hookspecs

    return hookspecs


@hookimpl
def channels_transports(app: Any) -> list[Any]:
    from crmkit_social.conversations.outbound import transports

    return transports(app)


# --- accounts


@hookimpl
def shutdown(app: Any) -> None:
    from crmkit_social.accounts.graph import CLIENTS, DEAD_MARKS

    DEAD_MARKS.wait(10.0)  # tokens Graph refused are marked dead before the database goes
    CLIENTS.close()
