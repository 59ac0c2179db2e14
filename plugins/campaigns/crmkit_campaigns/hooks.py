"""The plugin's hook implementations: each gathers what the parts (segments, campaigns, results,
plans, triggers, events) declare."""

from __future__ import annotations

import random
from datetime import datetime
from types import ModuleType
from typing import Any

from sqlalchemy import Connection, Table
from starlette.routing import BaseRoute

from crmkit import Actor, Crm, EventType, Job, MenuItem, Parts, Permission, Transaction, hookimpl

PARTS = Parts(
    "crmkit_campaigns", ("segments", "campaigns", "results", "plans", "triggers", "events")
)
"""Segments first: campaigns target them, results and plans read the campaigns."""


@hookimpl
def add_hookspecs() -> ModuleType:
    from crmkit_campaigns import hookspecs

    return hookspecs


@hookimpl
def register_tables() -> list[Table]:
    return PARTS.gathered("tables", "TABLES")


@hookimpl
def register_permissions() -> list[Permission]:
    return PARTS.gathered("access", "PERMISSIONS")


@hookimpl
def register_event_types() -> list[EventType]:
    return PARTS.gathered("event_types", "EVENT_TYPES")


@hookimpl
def register_jobs() -> list[Job]:
    return PARTS.gathered("jobs", "JOBS")


@hookimpl
def register_routes() -> list[BaseRoute]:
    return [*PARTS.gathered("routes", "ROUTES"), *PARTS.gathered("pages", "ROUTES")]


@hookimpl
def menu_items(actor: Actor) -> list[MenuItem]:
    return PARTS.gathered("pages", "MENU")


@hookimpl
def parties_merged(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    for privacy in PARTS.each("privacy"):
        privacy.move_to_survivor(tx, survivor_id, merged_id)


@hookimpl
def export_party(conn: Connection, party_id: int) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for privacy in PARTS.each("privacy"):
        found.update(privacy.export_of(conn, party_id))
    return {"campaigns": found}


@hookimpl
def erase_party(tx: Transaction, party_id: int) -> None:
    for privacy in PARTS.each("privacy"):
        privacy.erase(tx, party_id)


@hookimpl
def seed_demo(app: Crm, conn: Connection, rng: random.Random, now: datetime) -> None:
    for demo in PARTS.each("demo"):
        demo.seed(app, conn, rng, now)
