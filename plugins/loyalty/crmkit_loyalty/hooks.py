"""The plugin's own hook implementations. What its parts declare (tables, permissions, routes,
privacy, demo data …) crmkit gathers itself: ``PluginInfo.parts`` names them."""

from __future__ import annotations

from typing import Any

from crmkit import Actor, Crm, Transaction, hookimpl


@hookimpl
def add_hookspecs() -> Any:
    from crmkit_loyalty import hookspecs

    return hookspecs


@hookimpl
def startup(app: Crm) -> None:
    from crmkit_loyalty.programmes.behaviours import behaviours

    behaviours(app.host)  # refuses to start with behaviours announced twice or badly named


@hookimpl
def on_event(app: Crm, event: Any) -> None:
    from crmkit_loyalty.earning import events

    events.on_event(app, event)


@hookimpl
def prospect_converted(tx: Transaction, customer: Any) -> None:
    from crmkit_loyalty.earning import referrals

    referrals.prospect_converted(tx, customer)


@hookimpl
def party_panels(app: Crm, actor: Actor, party: Any) -> list[Any]:
    from crmkit_loyalty.earning import panel

    return panel.panels(app, actor, party)


@hookimpl(optionalhook=True)
def campaigns_segment_criteria() -> list[Any]:
    from crmkit_loyalty.earning import criteria

    return criteria.CRITERIA


@hookimpl(optionalhook=True)
def analytics_sources() -> list[Any]:
    from crmkit_loyalty import analytics

    return [analytics.source()]
