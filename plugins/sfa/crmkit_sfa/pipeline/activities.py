"""Activities: calls, meetings, tasks, visits and notes, planned and then done or cancelled.

Completing one puts it on the party's timeline as an interaction of source ``sfa``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from attrs import evolve, frozen
from sqlalchemy import Connection, insert, select, update

from crmkit import (
    ConflictError,
    NotFound,
    Transaction,
    ValidationError,
    build_interaction,
    log_interaction,
    party_table,
    read_reference,
    user_table,
    utcnow,
)
from crmkit_sfa.pipeline import fields
from crmkit_sfa.pipeline.settings import ACTIVITY_KINDS
from crmkit_sfa.pipeline.tables import activity, opportunity

STATUSES = ("planned", "done", "cancelled")
FIELDS = frozenset(
    {
        "party_id",
        "opportunity_id",
        "kind",
        "subject",
        "details",
        "owner_id",
        "due_at",
        "starts_at",
        "ends_at",
        "location",
    }
)
CHANNELS = {"call": "phone", "meeting": "meeting", "task": "task", "visit": "visit", "note": "note"}
"""The timeline channel of each kind of activity."""


@frozen
class Activity:
    """Something to do (or done) with a party, possibly for one of its opportunities."""

    id: int
    party_id: int
    opportunity_id: int | None
    kind: str
    subject: str
    details: str | None
    owner_id: int | None
    due_at: datetime | None
    starts_at: datetime | None
    ends_at: datetime | None
    location: str | None
    status: str
    outcome: str | None
    completed_at: datetime | None
    playbook_step: str | None
    """``<stage>.<step>`` when the stage's playbook planned it."""
    ical_uid: str | None
    """The UID of the iCalendar invitation it was imported from."""
    interaction_id: int | None
    """Its entry on the party's timeline, once done."""
    version: int
    created_at: datetime
    updated_at: datetime


def activity_of(row: Any) -> Activity:
    return Activity(**{c.name: getattr(row, c.name) for c in activity.c})


def get_activity(conn: Connection, activity_id: int) -> Activity:
    row = conn.execute(select(activity).where(activity.c.id == activity_id)).first()
    if row is None:
        raise NotFound(f"activity {activity_id} does not exist")
    return activity_of(row)


def activity_values(conn: Connection, data: Mapping[str, Any]) -> dict[str, Any]:
    """The columns of an activity described by ``data`` (untrusted), validated."""
    fields.only(data, FIELDS)
    kind = data.get("kind")
    if kind not in ACTIVITY_KINDS:
        raise ValidationError("kind", f"expected one of {', '.join(ACTIVITY_KINDS)}")
    party_id = read_reference(conn, "party_id", data.get("party_id"), party_table, "party")
    opportunity_id = fields.identifier("opportunity_id", data.get("opportunity_id"))
    if opportunity_id is not None:
        deal = conn.execute(
            select(opportunity.c.party_id).where(opportunity.c.id == opportunity_id)
        ).first()
        if deal is None:
            raise ValidationError("opportunity_id", f"opportunity {opportunity_id} does not exist")
        if deal.party_id != party_id:
            raise ValidationError("opportunity_id", "belongs to another party")
    starts_at = fields.moment("starts_at", data.get("starts_at"))
    ends_at = fields.moment("ends_at", data.get("ends_at"))
    if kind == "meeting" and starts_at is None:
        raise ValidationError("starts_at", "a meeting needs a start")
    if starts_at and ends_at and ends_at < starts_at:
        raise ValidationError("ends_at", "is before starts_at")
    return {
        "party_id": party_id,
        "opportunity_id": opportunity_id,
        "kind": kind,
        "subject": fields.text("subject", data.get("subject"), limit=300, required=True),
        "details": fields.text("details", data.get("details"), limit=20_000),
        "owner_id": _owner(conn, data.get("owner_id")),
        # A meeting is due when it starts.
        "due_at": fields.moment("due_at", data.get("due_at")) or starts_at,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "location": fields.text("location", data.get("location"), limit=300),
    }


def _owner(conn: Connection, value: Any) -> int | None:
    return None if value is None else read_reference(conn, "owner_id", value, user_table, "user")


def create_activity(
    tx: Transaction,
    data: Mapping[str, Any],
    *,
    playbook_step: str | None = None,
    ical_uid: str | None = None,
) -> Activity:
    """A planned activity from ``data`` (untrusted); without an owner, the acting user owns it."""
    values = activity_values(tx.conn, data)
    if values["owner_id"] is None:
        values["owner_id"] = tx.actor.user_id
    now = utcnow()
    row = {
        **values,
        "status": "planned",
        "outcome": None,
        "completed_at": None,
        "playbook_step": playbook_step,
        "ical_uid": ical_uid,
        "interaction_id": None,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    new_id = tx.conn.execute(insert(activity).values(row).returning(activity.c.id)).scalar_one()
    return Activity(id=new_id, **row)


def _planned(tx: Transaction, activity_id: int, expected_version: int | None) -> Activity:
    row = tx.conn.execute(
        select(activity).where(activity.c.id == activity_id).with_for_update()
    ).first()
    if row is None:
        raise NotFound(f"activity {activity_id} does not exist")
    current = activity_of(row)
    if current.status != "planned":
        raise ConflictError(f"activity {activity_id} is already {current.status}")
    if expected_version is not None and expected_version != current.version:
        raise ConflictError(
            f"activity {activity_id} was changed by someone else (version {expected_version} is stale)"
        )
    return current


def _close(tx: Transaction, current: Activity, values: dict[str, Any]) -> Activity:
    values = {**values, "version": current.version + 1, "updated_at": utcnow()}
    done = tx.conn.execute(
        update(activity)
        .where(activity.c.id == current.id, activity.c.version == current.version)
        .values(values)
    )
    if done.rowcount != 1:
        raise ConflictError(f"activity {current.id} was changed by someone else; reload it")
    return evolve(current, **values)


def complete_activity(
    tx: Transaction, activity_id: int, outcome: Any = None, expected_version: int | None = None
) -> Activity:
    """Mark the activity done, with its ``outcome``, and put it on the party's timeline."""
    text = fields.text("outcome", outcome, limit=100)
    current = _planned(tx, activity_id, expected_version)
    now = utcnow()
    entry = build_interaction(
        {
            "party_id": current.party_id,
            "channel": CHANNELS[current.kind],
            "direction": "internal" if current.kind in ("task", "note") else "outbound",
            # A meeting or visit happened when it started; anything else when it was done.
            "occurred_at": current.starts_at
            if current.starts_at and current.starts_at < now
            else now,
            "subject": current.subject,
            "summary": current.details,
            "outcome": text,
            "owner_id": current.owner_id,
            "refs": [{"kind": "sfa.activity", "id": str(current.id)}]
            + (
                [{"kind": "sfa.opportunity", "id": str(current.opportunity_id)}]
                if current.opportunity_id
                else []
            ),
        },
        source="sfa",
    )
    logged = log_interaction(tx, entry)
    return _close(
        tx,
        current,
        {"status": "done", "outcome": text, "completed_at": now, "interaction_id": logged.id},
    )


def cancel_activity(
    tx: Transaction, activity_id: int, expected_version: int | None = None
) -> Activity:
    """Cancel a planned activity; it stays off the timeline."""
    current = _planned(tx, activity_id, expected_version)
    return _close(tx, current, {"status": "cancelled"})


def activities_of_owner(
    conn: Connection, owner_id: int, statuses: tuple[str, ...] = ("planned",)
) -> list[Activity]:
    """The owner's activities in ``statuses``, the soonest due first (undated ones last)."""
    rows = conn.execute(
        select(activity)
        .where(activity.c.owner_id == owner_id, activity.c.status.in_(statuses))
        .order_by(activity.c.due_at.is_(None), activity.c.due_at, activity.c.id)
    )
    return [activity_of(row) for row in rows]


def activities_of_opportunity(conn: Connection, opportunity_id: int) -> list[Activity]:
    rows = conn.execute(
        select(activity)
        .where(activity.c.opportunity_id == opportunity_id)
        .order_by(activity.c.due_at.is_(None), activity.c.due_at, activity.c.id)
    )
    return [activity_of(row) for row in rows]
