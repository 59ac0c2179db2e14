"""Kernel jobs and hooks of prospect perishability: first contact, escalation, expiry."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from crmkit.core.events import EventType
from crmkit.core.jobs import Job
from crmkit.core.perishability import (
    clear_expiry,
    escalate_missed_deadlines,
    expire_untouched,
    record_first_contact,
)
from crmkit.hooks.markers import hookimpl

if TYPE_CHECKING:
    from crmkit.core.db import Transaction


@hookimpl
def register_event_types() -> list[EventType]:
    return [
        EventType(
            "core.prospect_escalated",
            "A prospect missed its first-contact deadline; the owner's manager was told",
            "prospect",
        ),
        EventType("core.prospect_expired", "A prospect untouched for too long expired", "prospect"),
    ]


@hookimpl
def register_jobs() -> list[Job]:
    return [
        Job(
            "core.escalate_missed_first_contacts",
            escalate_missed_deadlines,
            # Hot prospects are due within an hour: a check every few minutes keeps escalations timely.
            every=timedelta(minutes=5),
            description="Escalate prospects not contacted by their first-contact deadline",
        ),
        Job(
            "core.expire_untouched_prospects",
            expire_untouched,
            every=timedelta(hours=1),
            description="Expire prospects nobody touched for the configured number of days",
        ),
    ]


@hookimpl
def entity_saved(tx: Transaction, entity_type: str, entity: Any, change: str) -> None:
    if entity_type == "interaction" and change == "created":
        record_first_contact(tx, entity)
    elif entity_type == "prospect" and change == "updated":
        clear_expiry(tx, entity)
