"""The plugin's hook implementations: thin adapters onto cases, SLAs, assets, dispatch, help desk, knowledge and portal."""

from __future__ import annotations

import random
from datetime import datetime
from types import ModuleType
from typing import Any

import click
from sqlalchemy import Connection, Table
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from crmkit import (
    Actor,
    Crm,
    CustomField,
    EventType,
    Job,
    MenuItem,
    Permission,
    RecordRef,
    Transaction,
    hookimpl,
)
from crmkit_service.assets import access as asset_access
from crmkit_service.assets import campaign_hooks
from crmkit_service.assets import demo as asset_demo
from crmkit_service.assets import pages as asset_pages
from crmkit_service.assets import privacy as asset_privacy
from crmkit_service.assets import routes as asset_routes
from crmkit_service.assets import tables as asset_tables
from crmkit_service.cases import access as case_access
from crmkit_service.cases import demo as case_demo
from crmkit_service.cases import events as case_events
from crmkit_service.cases import feedback as case_feedback
from crmkit_service.cases import pages as case_pages
from crmkit_service.cases import privacy as case_privacy
from crmkit_service.cases import routes as case_routes
from crmkit_service.cases import tables as case_tables
from crmkit_service.cases.timeline import render_case_entry
from crmkit_service.dispatch import access as dispatch_access
from crmkit_service.dispatch import demo as dispatch_demo
from crmkit_service.dispatch import events as dispatch_events
from crmkit_service.dispatch import pages as dispatch_pages
from crmkit_service.dispatch import privacy as dispatch_privacy
from crmkit_service.dispatch import routes as dispatch_routes
from crmkit_service.dispatch import tables as dispatch_tables
from crmkit_service.helpdesk import access as helpdesk_access
from crmkit_service.helpdesk import pages as helpdesk_pages
from crmkit_service.helpdesk import routes as helpdesk_routes
from crmkit_service.inbound import routing as inbound_routing
from crmkit_service.knowledge import access as knowledge_access
from crmkit_service.knowledge import commands as knowledge_commands
from crmkit_service.knowledge import demo as knowledge_demo
from crmkit_service.knowledge import events as knowledge_events
from crmkit_service.knowledge import feedback as knowledge_feedback
from crmkit_service.knowledge import pages as knowledge_pages
from crmkit_service.knowledge import routes as knowledge_routes
from crmkit_service.knowledge import tables as knowledge_tables
from crmkit_service.portal import demo as portal_demo
from crmkit_service.portal import errors as portal_errors
from crmkit_service.portal import jobs as portal_jobs
from crmkit_service.portal import links as portal_links
from crmkit_service.portal import privacy as portal_privacy
from crmkit_service.portal import routes as portal_routes
from crmkit_service.portal import tables as portal_tables
from crmkit_service.sla import access as sla_access
from crmkit_service.sla import demo as sla_demo
from crmkit_service.sla import events as sla_events
from crmkit_service.sla import pages as sla_pages
from crmkit_service.sla import privacy as sla_privacy
from crmkit_service.sla import routes as sla_routes
from crmkit_service.sla import tables as sla_tables
from crmkit_service.sla import watch as sla_watch


@hookimpl
def add_hookspecs() -> ModuleType:
    from crmkit_service import hookspecs

    return hookspecs


@hookimpl
def register_tables() -> list[Table]:
    return [
        case_tables.category,
        case_tables.case,
        case_tables.case_event,
        case_tables.case_link,
        *asset_tables.TABLES,
        *dispatch_tables.TABLES,
        *knowledge_tables.TABLES,
        *sla_tables.TABLES,
        *portal_tables.TABLES,
    ]


@hookimpl
def register_permissions() -> list[Permission]:
    return [
        *case_access.PERMISSIONS,
        *knowledge_access.PERMISSIONS,
        *sla_access.PERMISSIONS,
        *asset_access.PERMISSIONS,
        *dispatch_access.PERMISSIONS,
        *helpdesk_access.PERMISSIONS,
    ]


@hookimpl
def register_event_types() -> list[EventType]:
    return [
        *case_events.EVENT_TYPES,
        *knowledge_events.EVENT_TYPES,
        *sla_events.EVENT_TYPES,
        *dispatch_events.EVENT_TYPES,
    ]


@hookimpl
def parties_merged(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    knowledge_feedback.move_feedback(tx, survivor_id, merged_id)
    portal_privacy.move_portal_rows(tx, survivor_id, merged_id)
    asset_privacy.move_to_survivor(tx, survivor_id, merged_id)
    dispatch_privacy.move_to_survivor(tx, survivor_id, merged_id)
    sla_privacy.move_to_survivor(tx, survivor_id, merged_id)
    case_privacy.move_to_survivor(tx, survivor_id, merged_id)


@hookimpl
def export_party(conn: Connection, party_id: int) -> dict[str, Any]:
    return {
        "service": {
            "article_feedback": knowledge_feedback.feedback_of_party(conn, party_id),
            **portal_privacy.export_portal(conn, party_id),
            **asset_privacy.export_of(conn, party_id),
            **dispatch_privacy.export_of(conn, party_id),
            **sla_privacy.export_of(conn, party_id),
            **case_privacy.export_of(conn, party_id),
        }
    }


@hookimpl
def register_jobs() -> list[Job]:
    return [*sla_watch.JOBS, *portal_jobs.JOBS]


@hookimpl
def register_custom_fields() -> list[CustomField]:
    return [*sla_events.CUSTOM_FIELDS]


@hookimpl
def timeline_renderers() -> dict[str, Any]:
    return {"service": render_case_entry}


@hookimpl
def erase_party(tx: Transaction, party_id: int) -> None:
    portal_privacy.erase_portal(tx, party_id)
    # Visits first: they name the assets and contracts erased next.
    dispatch_privacy.erase(tx, party_id)
    asset_privacy.erase(tx, party_id)
    sla_privacy.erase(tx, party_id)
    # Last: the other parts' rows name the cases.
    case_privacy.erase(tx, party_id)


@hookimpl
def register_routes() -> list[BaseRoute]:
    return [
        *case_routes.ROUTES,
        *case_pages.ROUTES,
        *portal_routes.ROUTES,
        *asset_routes.ROUTES,
        *dispatch_routes.ROUTES,
        *helpdesk_routes.ROUTES,
        *asset_pages.ROUTES,
        *dispatch_pages.ROUTES,
        *helpdesk_pages.ROUTES,
        *sla_routes.ROUTES,
        *sla_pages.ROUTES,
        *knowledge_routes.ROUTES,
        *knowledge_pages.ROUTES,
    ]


@hookimpl
def startup(app: Crm) -> None:
    portal_links.check_configuration(app)


@hookimpl
def handle_exception(request: Request, exc: Exception) -> Response | None:
    return portal_errors.portal_error(request, exc)


@hookimpl
def menu_items(actor: Actor) -> list[MenuItem]:
    return [
        *case_pages.MENU,
        *sla_pages.MENU,
        *helpdesk_pages.MENU,
        *dispatch_pages.MENU,
        *knowledge_pages.MENU,
    ]


@hookimpl
def route_inbound(app: Crm, message: Any) -> str | None:
    return inbound_routing.route_inbound(app, message)


@hookimpl
def entity_actions(actor: Actor, entity_type: str, entity: Any) -> list[MenuItem]:
    return [
        *case_pages.party_actions(entity_type, entity),
        *helpdesk_pages.party_actions(entity_type, entity),
    ]


@hookimpl
def feedback_received(
    tx: Transaction,
    party_id: int,
    survey: str,
    score: int | None,
    scale: tuple[int, int],
    text: str | None,
    reference: str | None,
) -> RecordRef | None:
    return case_feedback.feedback_received(tx, party_id, survey, score, scale, text, reference)


@hookimpl
def register_commands() -> list[click.Command]:
    return [knowledge_commands.knowledge_reindex]


@hookimpl(optionalhook=True)
def campaigns_triggers() -> list[Any]:
    return campaign_hooks.triggers()


@hookimpl(optionalhook=True)
def campaigns_segment_criteria() -> list[Any]:
    return campaign_hooks.segment_criteria()


@hookimpl(optionalhook=True)
def social_complaint(tx: Transaction, complaint: Any) -> str | None:
    # A complaint read in a page's message or comment by the social plugin: a case.
    from crmkit_service.cases.social import open_from_complaint

    return open_from_complaint(tx, complaint)


@hookimpl
def seed_demo(app: Crm, conn: Connection, rng: random.Random, now: datetime) -> None:
    asset_demo.seed_assets(conn, rng, now)
    # After the assets: cases are about the assets customers own.
    case_demo.seed_cases(conn, rng, now)
    sla_demo.seed_sla(conn, rng, now, app.settings_of["service"].sla.tier_field)
    portal_demo.seed_ratings(conn, rng, now)
    dispatch_settings = app.settings_of["service"].dispatch
    dispatch_demo.seed_technicians(conn, now, dispatch_settings.time_zone)
    dispatch_demo.seed_dispatches(conn, rng, now, dispatch_settings)
    knowledge_demo.seed_knowledge(conn, rng, now, app.settings_of["service"].knowledge.language)


@hookimpl(optionalhook=True)
def analytics_sources() -> list[Any]:
    from crmkit_service import analytics

    return [analytics.source()]
