"""The plugin's hook implementations: thin adapters onto the service."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import click
from sqlalchemy import Connection, Table
from starlette.routing import BaseRoute

from crmkit import CustomField, EventType, Job, Permission, Transaction, hookimpl
from crmkit_callnotes import commands, routes, service
from crmkit_callnotes.tables import follow_up


@hookimpl
def register_tables() -> list[Table]:
    return [follow_up]


@hookimpl
def register_custom_fields() -> list[CustomField]:
    return [
        CustomField("interaction", "callnotes_duration_seconds", "integer"),
        CustomField("interaction", "callnotes_follow_up_on", "date"),
    ]


@hookimpl
def register_permissions() -> list[Permission]:
    return [
        Permission("callnotes:log", "Log phone calls", ("admin", "manager", "sales", "service")),
        Permission(
            "callnotes:read",
            "See follow-ups",
            ("admin", "manager", "sales", "service", "read-only"),
        ),
    ]


@hookimpl
def register_event_types() -> list[EventType]:
    return [EventType("callnotes.follow_up_due", "A follow-up promised during a call is due")]


@hookimpl
def register_jobs() -> list[Job]:
    return [
        Job(
            "callnotes.announce_due",
            service.announce_due,
            every=timedelta(hours=1),
            description="Announce follow-ups that have fallen due",
        )
    ]


@hookimpl
def register_routes() -> list[BaseRoute]:
    return routes.ROUTES


@hookimpl
def register_commands() -> list[click.Command]:
    return [commands.due]


@hookimpl
def entity_saved(tx: Transaction, entity_type: str, entity: Any, change: str) -> None:
    if entity_type == "interaction" and change == "created":
        service.after_call(tx, entity, tx.app.settings_of["callnotes"])


@hookimpl
def parties_merged(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    service.move_follow_ups(tx, survivor_id, merged_id)


@hookimpl
def export_party(conn: Connection, party_id: int) -> dict[str, Any]:
    return {"callnotes": service.follow_ups_of(conn, party_id)}
