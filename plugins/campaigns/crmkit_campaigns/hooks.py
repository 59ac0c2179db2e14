"""The plugin's hook implementations: thin adapters onto segments, campaigns, results, plans, triggers and events."""

from __future__ import annotations

import random
from datetime import datetime
from types import ModuleType
from typing import Any

from sqlalchemy import Connection, Table
from starlette.routing import BaseRoute

from crmkit import Actor, Crm, EventType, Job, MenuItem, Permission, Transaction, hookimpl
from crmkit_campaigns.campaigns import access as cmp_access
from crmkit_campaigns.campaigns import demo as cmp_demo
from crmkit_campaigns.campaigns import event_types as cmp_event_types
from crmkit_campaigns.campaigns import jobs as cmp_jobs
from crmkit_campaigns.campaigns import pages as cmp_pages
from crmkit_campaigns.campaigns import privacy as cmp_privacy
from crmkit_campaigns.campaigns import routes as cmp_routes
from crmkit_campaigns.campaigns import tables as cmp_tables
from crmkit_campaigns.events import access as evt_access
from crmkit_campaigns.events import demo as evt_demo
from crmkit_campaigns.events import event_types as evt_event_types
from crmkit_campaigns.events import jobs as evt_jobs
from crmkit_campaigns.events import pages as evt_pages
from crmkit_campaigns.events import privacy as evt_privacy
from crmkit_campaigns.events import routes as evt_routes
from crmkit_campaigns.events import tables as evt_tables
from crmkit_campaigns.plans import access as plan_access
from crmkit_campaigns.plans import demo as plan_demo
from crmkit_campaigns.plans import event_types as plan_event_types
from crmkit_campaigns.plans import jobs as plan_jobs
from crmkit_campaigns.plans import pages as plan_pages
from crmkit_campaigns.plans import privacy as plan_privacy
from crmkit_campaigns.plans import routes as plan_routes
from crmkit_campaigns.plans import tables as plan_tables
from crmkit_campaigns.results import access as res_access
from crmkit_campaigns.results import demo as res_demo
from crmkit_campaigns.results import event_types as res_event_types
from crmkit_campaigns.results import jobs as res_jobs
from crmkit_campaigns.results import pages as res_pages
from crmkit_campaigns.results import privacy as res_privacy
from crmkit_campaigns.results import routes as res_routes
from crmkit_campaigns.results import tables as res_tables
from crmkit_campaigns.segments import access as seg_access
from crmkit_campaigns.segments import demo as seg_demo
from crmkit_campaigns.segments import event_types as seg_event_types
from crmkit_campaigns.segments import jobs as seg_jobs
from crmkit_campaigns.segments import pages as seg_pages
from crmkit_campaigns.segments import privacy as seg_privacy
from crmkit_campaigns.segments import routes as seg_routes
from crmkit_campaigns.segments import tables as seg_tables
from crmkit_campaigns.triggers import access as trig_access
from crmkit_campaigns.triggers import demo as trig_demo
from crmkit_campaigns.triggers import event_types as trig_event_types
from crmkit_campaigns.triggers import jobs as trig_jobs
from crmkit_campaigns.triggers import pages as trig_pages
from crmkit_campaigns.triggers import privacy as trig_privacy
from crmkit_campaigns.triggers import routes as trig_routes
from crmkit_campaigns.triggers import tables as trig_tables


@hookimpl
def add_hookspecs() -> ModuleType:
    from crmkit_campaigns import hookspecs

    return hookspecs


@hookimpl
def register_tables() -> list[Table]:
    return [
        *seg_tables.TABLES,
        *cmp_tables.TABLES,
        *res_tables.TABLES,
        *plan_tables.TABLES,
        *trig_tables.TABLES,
        *evt_tables.TABLES,
    ]


@hookimpl
def register_permissions() -> list[Permission]:
    return [
        *seg_access.PERMISSIONS,
        *cmp_access.PERMISSIONS,
        *res_access.PERMISSIONS,
        *plan_access.PERMISSIONS,
        *trig_access.PERMISSIONS,
        *evt_access.PERMISSIONS,
    ]


@hookimpl
def register_event_types() -> list[EventType]:
    return [
        *seg_event_types.EVENT_TYPES,
        *cmp_event_types.EVENT_TYPES,
        *res_event_types.EVENT_TYPES,
        *plan_event_types.EVENT_TYPES,
        *trig_event_types.EVENT_TYPES,
        *evt_event_types.EVENT_TYPES,
    ]


@hookimpl
def register_jobs() -> list[Job]:
    return [
        *seg_jobs.JOBS,
        *cmp_jobs.JOBS,
        *res_jobs.JOBS,
        *plan_jobs.JOBS,
        *trig_jobs.JOBS,
        *evt_jobs.JOBS,
    ]


@hookimpl
def register_routes() -> list[BaseRoute]:
    return [
        *seg_routes.ROUTES,
        *cmp_routes.ROUTES,
        *res_routes.ROUTES,
        *plan_routes.ROUTES,
        *trig_routes.ROUTES,
        *evt_routes.ROUTES,
        *seg_pages.ROUTES,
        *cmp_pages.ROUTES,
        *res_pages.ROUTES,
        *plan_pages.ROUTES,
        *trig_pages.ROUTES,
        *evt_pages.ROUTES,
    ]


@hookimpl
def menu_items(actor: Actor) -> list[MenuItem]:
    return [
        *seg_pages.MENU,
        *cmp_pages.MENU,
        *res_pages.MENU,
        *plan_pages.MENU,
        *trig_pages.MENU,
        *evt_pages.MENU,
    ]


@hookimpl
def parties_merged(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    seg_privacy.move_to_survivor(tx, survivor_id, merged_id)
    cmp_privacy.move_to_survivor(tx, survivor_id, merged_id)
    res_privacy.move_to_survivor(tx, survivor_id, merged_id)
    plan_privacy.move_to_survivor(tx, survivor_id, merged_id)
    trig_privacy.move_to_survivor(tx, survivor_id, merged_id)
    evt_privacy.move_to_survivor(tx, survivor_id, merged_id)


@hookimpl
def export_party(conn: Connection, party_id: int) -> dict[str, Any]:
    return {
        "campaigns": {
            **seg_privacy.export_of(conn, party_id),
            **cmp_privacy.export_of(conn, party_id),
            **res_privacy.export_of(conn, party_id),
            **plan_privacy.export_of(conn, party_id),
            **trig_privacy.export_of(conn, party_id),
            **evt_privacy.export_of(conn, party_id),
        }
    }


@hookimpl
def erase_party(tx: Transaction, party_id: int) -> None:
    seg_privacy.erase(tx, party_id)
    cmp_privacy.erase(tx, party_id)
    res_privacy.erase(tx, party_id)
    plan_privacy.erase(tx, party_id)
    trig_privacy.erase(tx, party_id)
    evt_privacy.erase(tx, party_id)


@hookimpl
def seed_demo(app: Crm, conn: Connection, rng: random.Random, now: datetime) -> None:
    # Segments first: campaigns target them, results and plans read the campaigns.
    seg_demo.seed(app, conn, rng, now)
    cmp_demo.seed(app, conn, rng, now)
    res_demo.seed(app, conn, rng, now)
    plan_demo.seed(app, conn, rng, now)
    trig_demo.seed(app, conn, rng, now)
    evt_demo.seed(app, conn, rng, now)
