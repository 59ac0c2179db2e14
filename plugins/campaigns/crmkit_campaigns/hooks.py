"""The plugin's own hook implementations. What its parts declare (tables, permissions, routes,
privacy, demo data …) crmkit gathers itself: ``PluginInfo.parts`` names them."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from crmkit import hookimpl


@hookimpl
def add_hookspecs() -> ModuleType:
    from crmkit_campaigns import hookspecs

    return hookspecs


@hookimpl(optionalhook=True)
def analytics_sources() -> list[Any]:
    from crmkit_campaigns import analytics

    return [analytics.source()]
