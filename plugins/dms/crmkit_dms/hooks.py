"""The plugin's own hook implementations. What its parts declare (tables, permissions, routes,
privacy, demo data …) crmkit gathers itself: ``PluginInfo.parts`` names them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table

from crmkit import Actor, Crm, hookimpl
from crmkit_dms.partners import records as partner_records


@hookimpl
def permission_check(
    actor: Actor, action: str, resource: Any, granted_to: frozenset[str], conn: Connection | None
) -> bool | None:
    return partner_records.permission_check(actor, action, resource, conn)


@hookimpl
def permission_filter(actor: Actor, entity_type: str, table: Table) -> Any:
    return partner_records.permission_filter(actor, entity_type, table)


@hookimpl
def party_panels(app: Crm, actor: Actor, party: Any) -> list[Any]:
    from crmkit_dms.vehicles import panel

    return panel.panels(app, actor, party)


@hookimpl
def timeline_renderers() -> dict[str, Any]:
    from crmkit_dms.vehicles import timeline

    return {timeline.SOURCE: timeline.render_visit}


@hookimpl(optionalhook=True)
def campaigns_triggers() -> list[Any]:
    from crmkit_dms.vehicles import after_sales

    return after_sales.triggers()


@hookimpl(optionalhook=True)
def campaigns_segment_criteria() -> list[Any]:
    from crmkit_dms.vehicles import after_sales

    return after_sales.segment_criteria()


@hookimpl(optionalhook=True)
def service_asset_facts(conn: Connection, vin: str) -> dict[str, Any] | None:
    from crmkit_dms.vehicles import facts

    return facts.facts_of(conn, vin)


@hookimpl
def route_inbound(app: Crm, message: Any) -> str | None:
    from crmkit_dms.formats import mail

    return mail.route_inbound(app, message)
