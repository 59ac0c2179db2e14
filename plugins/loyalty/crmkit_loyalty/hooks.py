"""The plugin's hook implementations: each gathers what the parts (programmes, ledger, earning) declare."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table
from starlette.routing import BaseRoute

from crmkit import Actor, Crm, EventType, Job, MenuItem, Parts, Permission, Transaction, hookimpl

PARTS = Parts("crmkit_loyalty", ("programmes", "ledger", "earning"))


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
    # Dependent parts first: earning finds the referrals by the memberships' parties before the
    # ledger part closes or re-points those memberships.
    for privacy in reversed(PARTS.each("privacy")):
        privacy.move_to_survivor(tx, survivor_id, merged_id)


@hookimpl
def export_party(conn: Connection, party_id: int) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for privacy in PARTS.each("privacy"):
        found.update(privacy.export_of(conn, party_id))
    return {"loyalty": found}


@hookimpl
def erase_party(tx: Transaction, party_id: int) -> None:
    # Dependent parts first, as for a merge: the ledger part unlinks the memberships last.
    for privacy in reversed(PARTS.each("privacy")):
        privacy.erase(tx, party_id)


@hookimpl(trylast=True)
def seed_demo(app: Crm, conn: Connection, rng: random.Random, now: datetime) -> None:
    # Last, after the sfa plugin's: the demo's orders earn points (plugins run before those
    # they depend on otherwise).
    for demo in PARTS.each("demo"):
        demo.seed(app, conn, rng, now)


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


@hookimpl
def register_commands() -> list[Any]:
    from crmkit_loyalty.ledger import commands

    return list(commands.COMMANDS)
