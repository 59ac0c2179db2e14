"""The plugin's own hook implementations. What its parts declare (tables, permissions, routes,
privacy, demo data …) crmkit gathers itself: ``PluginInfo.parts`` names them."""

from __future__ import annotations

from typing import Any

from crmkit import Actor, Crm, hookimpl


@hookimpl
def on_event(app: Crm, event: Any) -> None:
    from crmkit_erp_sap.orders import events

    events.on_event(app, event)


@hookimpl
def party_panels(app: Crm, actor: Actor, party: Any) -> list[Any]:
    from crmkit_erp_sap.partners import panel

    return panel.panels(app, actor, party)
