"""The plugin's hook implementations: thin adapters onto the pipeline, quotes and planning services."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table
from starlette.routing import BaseRoute

from crmkit import Actor, EventType, Job, MenuItem, Permission, Transaction, Widget, hookimpl
from crmkit_sfa import demo
from crmkit_sfa.pipeline import access, privacy
from crmkit_sfa.pipeline import pages as pipeline_pages
from crmkit_sfa.pipeline import routes as pipeline_routes
from crmkit_sfa.pipeline import tables as pipeline_tables
from crmkit_sfa.pipeline.timeline import render_sfa_entry
from crmkit_sfa.planning import access as planning_access
from crmkit_sfa.planning import alerts
from crmkit_sfa.planning import jobs as planning_jobs
from crmkit_sfa.planning import pages as planning_pages
from crmkit_sfa.planning import routes as planning_routes
from crmkit_sfa.planning import tables as planning_tables
from crmkit_sfa.planning import widgets as planning_widgets
from crmkit_sfa.quotes import access as quote_access
from crmkit_sfa.quotes import events as quote_events
from crmkit_sfa.quotes import jobs as quote_jobs
from crmkit_sfa.quotes import pages as quote_pages
from crmkit_sfa.quotes import privacy as quote_privacy
from crmkit_sfa.quotes import routes as quote_routes
from crmkit_sfa.quotes import tables as quote_tables


@hookimpl
def register_tables() -> list[Table]:
    return [
        pipeline_tables.opportunity,
        pipeline_tables.stage_change,
        pipeline_tables.activity,
        pipeline_tables.pipeline,
        *quote_tables.TABLES,
        *planning_tables.TABLES,
    ]


@hookimpl
def register_permissions() -> list[Permission]:
    return [*access.PERMISSIONS, *quote_access.PERMISSIONS, *planning_access.PERMISSIONS]


@hookimpl
def register_event_types() -> list[EventType]:
    return [
        EventType(
            "sfa.stage_changed",
            "An opportunity moved to another stage of its pipeline",
            "sfa.opportunity",
        ),
        EventType("sfa.opportunity_won", "An opportunity was won", "sfa.opportunity"),
        EventType("sfa.opportunity_lost", "An opportunity was lost", "sfa.opportunity"),
        *quote_events.EVENT_TYPES,
    ]


@hookimpl
def register_routes() -> list[BaseRoute]:
    return [
        *pipeline_routes.ROUTES,
        *pipeline_pages.ROUTES,
        *quote_routes.ROUTES,
        *quote_pages.ROUTES,
        *planning_routes.ROUTES,
        *planning_pages.ROUTES,
    ]


@hookimpl
def register_jobs() -> list[Job]:
    return [*quote_jobs.JOBS, *planning_jobs.JOBS]


@hookimpl
def register_widgets() -> list[Widget]:
    return [*planning_widgets.WIDGETS]


@hookimpl
def dashboard_widgets(actor: Actor) -> list[str]:
    return planning_widgets.chosen_for(actor)


@hookimpl
def menu_items(actor: Actor) -> list[MenuItem]:
    return [*pipeline_pages.MENU, *quote_pages.MENU, *planning_pages.MENU]


@hookimpl
def entity_actions(actor: Actor, entity_type: str, entity: Any) -> list[MenuItem]:
    return pipeline_pages.party_actions(entity_type, entity)


@hookimpl
def permission_check(
    actor: Actor, action: str, resource: Any, granted_to: frozenset[str], conn: Connection | None
) -> bool | None:
    return access.sees(actor, resource, conn)


@hookimpl
def permission_filter(actor: Actor, entity_type: str, table: Table) -> ColumnElement[bool] | None:
    return access.permission_filter(actor, entity_type, table)


@hookimpl
def timeline_renderers() -> dict[str, Any]:
    return {"sfa": render_sfa_entry}


@hookimpl
def parties_merged(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    privacy.move_to_survivor(tx, survivor_id, merged_id)
    quote_privacy.move_to_survivor(tx, survivor_id, merged_id)


@hookimpl
def export_party(conn: Connection, party_id: int) -> dict[str, Any]:
    return {"sfa": {**privacy.export_of(conn, party_id), **quote_privacy.export_of(conn, party_id)}}


@hookimpl
def erase_party(tx: Transaction, party_id: int) -> None:
    # First: erasing the opportunities cascades to the orders whose events are to be stripped,
    # and the alerts are found through the activities and opportunities.
    quote_privacy.forget_orders(tx, party_id)
    alerts.withdraw_alerts_about(tx, party_id)
    privacy.erase(tx, party_id)


seed_demo = hookimpl(demo.seed_demo)


@hookimpl
def add_hookspecs() -> ModuleType:
    from crmkit_sfa import hookspecs

    return hookspecs


@hookimpl(optionalhook=True)
def analytics_sources() -> list[Any]:
    from crmkit_sfa import analytics

    return [analytics.source()]
