"""Calls on the party's timeline; the follow-ups they promise are scheduled, closed and announced."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, insert, select, update

from crmkit import (
    Crm,
    Interaction,
    Transaction,
    ValidationError,
    build_interaction,
    log_interaction,
    party_table,
    read_date,
    read_whole_number,
    utcnow,
)
from crmkit_callnotes.settings import CallnotesSettings
from crmkit_callnotes.tables import follow_up

OUTCOMES = ("reached", "voicemail", "no_answer", "callback")
CALL_FIELDS = frozenset({"party_id", "outcome", "summary", "duration_seconds", "follow_up_on"})


@frozen
class FollowUp:
    """A call back promised to a party, due on ``due_on``."""

    id: int
    party_id: int
    party_name: str
    interaction_id: int
    owner_id: int | None
    due_on: date
    done_at: datetime | None


def _follow_up(row: Any) -> FollowUp:
    return FollowUp(
        row.id,
        row.party_id,
        row.display_name,
        row.interaction_id,
        row.owner_id,
        row.due_on,
        row.done_at,
    )


def log_call(tx: Transaction, data: Mapping[str, Any]) -> Interaction:
    """Put the phone call ``data`` describes (untrusted: an API body) on the party's timeline."""
    unknown = set(data) - CALL_FIELDS
    if unknown:
        raise ValidationError(sorted(unknown)[0], "unknown field")
    outcome = data.get("outcome")
    if outcome not in OUTCOMES:
        raise ValidationError("outcome", f"expected one of {', '.join(OUTCOMES)}")
    custom: dict[str, Any] = {}
    duration = data.get("duration_seconds")
    if duration is not None:
        custom["callnotes_duration_seconds"] = read_whole_number("duration_seconds", duration)
    follow_up_on = data.get("follow_up_on")
    if follow_up_on is not None:
        custom["callnotes_follow_up_on"] = read_date("follow_up_on", follow_up_on).isoformat()
    call = build_interaction(
        {
            "party_id": data.get("party_id"),
            "channel": "phone",
            "direction": "outbound",
            "subject": f"Call: {outcome.replace('_', ' ')}",
            "summary": data.get("summary"),
            "outcome": outcome,
            "owner_id": tx.actor.user_id,
            "custom": custom,
        },
        source="callnotes",
    )
    return log_interaction(tx, call)


def after_call(tx: Transaction, call: Interaction, settings: CallnotesSettings) -> None:
    """Close the party's open follow-ups, then schedule the one this call promises, if any.

    Runs for every phone interaction, whoever logged it: a call through a
    telephony connector closes follow-ups just like one logged here.
    """
    if call.channel != "phone":
        return
    now = utcnow()
    tx.conn.execute(
        update(follow_up)
        .where(follow_up.c.party_id == call.party_id, follow_up.c.done_at.is_(None))
        .values(done_at=now)
    )
    promised = call.custom.get("callnotes_follow_up_on")
    if promised is not None:
        due_on = date.fromisoformat(promised)
    elif call.outcome == "callback":
        due_on = now.date() + timedelta(days=settings.callback_days)
    else:
        return
    tx.conn.execute(
        insert(follow_up).values(
            party_id=call.party_id,
            interaction_id=call.id,
            owner_id=call.owner_id,
            due_on=due_on,
            created_at=now,
        )
    )


def open_follow_ups(conn: Connection, due_by: date) -> list[FollowUp]:
    """Follow-ups not yet done that are due on or before ``due_by``, oldest first."""
    rows = conn.execute(
        select(follow_up, party_table.c.display_name)
        .join(party_table, party_table.c.id == follow_up.c.party_id)
        .where(follow_up.c.done_at.is_(None), follow_up.c.due_on <= due_by)
        .order_by(follow_up.c.due_on, follow_up.c.id)
    )
    return [_follow_up(row) for row in rows]


def follow_ups_of(conn: Connection, party_id: int) -> list[dict[str, Any]]:
    """Every follow-up of the party, done or not, as JSON-ready data (for a privacy export)."""
    rows = conn.execute(
        select(follow_up.c.interaction_id, follow_up.c.due_on, follow_up.c.done_at)
        .where(follow_up.c.party_id == party_id)
        .order_by(follow_up.c.id)
    )
    return [
        {
            "interaction_id": row.interaction_id,
            "due_on": row.due_on.isoformat(),
            "done_at": row.done_at.isoformat() if row.done_at else None,
        }
        for row in rows
    ]


def move_follow_ups(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    """Re-point the merged party's follow-ups to the survivor (else they would die with it)."""
    tx.conn.execute(
        update(follow_up).where(follow_up.c.party_id == merged_id).values(party_id=survivor_id)
    )


def announce_due(app: Crm) -> int:
    """Emit ``callnotes.follow_up_due`` once for each follow-up that has fallen due; return how many."""
    now = utcnow()
    with app.transaction() as tx:
        due = tx.conn.execute(
            select(follow_up)
            .where(
                follow_up.c.done_at.is_(None),
                follow_up.c.announced_at.is_(None),
                follow_up.c.due_on <= now.date(),
            )
            .order_by(follow_up.c.id)
            # Two workers running the job at once must not announce the same follow-up twice.
            .with_for_update(skip_locked=True)
        ).all()
        for row in due:
            tx.emit(
                "callnotes.follow_up_due",
                "callnotes.follow_up",
                row.id,
                {"party_id": row.party_id, "owner_id": row.owner_id, "due_on": str(row.due_on)},
            )
        if due:
            tx.conn.execute(
                update(follow_up)
                .where(follow_up.c.id.in_([row.id for row in due]))
                .values(announced_at=now)
            )
    return len(due)
