"""Check-in at the door: a ticket's QR code (or the registrant picked by name) becomes attendance.

The first check-in sets ``attended`` and logs an interaction (channel ``event``,
outcome ``attended``) on the party's timeline; a second says "already checked in"
and logs nothing. A ticket of another event, a tampered one, or one whose
registration holds no seat is refused; one whose party the staff member may not
see is not found.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from attrs import frozen
from sqlalchemy import select, update

from crmkit import (
    NotFound,
    Transaction,
    ValidationError,
    build_interaction,
    log_interaction,
    seen_party,
)
from crmkit_campaigns.events.registration import REGISTRATION, registration_row
from crmkit_campaigns.events.tables import event, registration
from crmkit_campaigns.events.tokens import read_token


@frozen
class CheckIn:
    """What a check-in did: ``checked_in`` now, or ``already`` (at ``checked_in_at``)."""

    outcome: Literal["checked_in", "already"]
    registration_id: int
    name: str
    checked_in_at: datetime


def token_of(text: str) -> str:
    """The token in what was typed or scanned: the token itself, or the QR code's whole URL."""
    text = text.strip()
    if "?" in text:
        found = parse_qs(urlsplit(text).query).get("t")
        return found[0] if found else ""
    return text


def ticket(tx: Transaction, event_id: int, scanned: str) -> int:
    """The registration a ticket of this event is; refused for any other ticket, and not
    found (before anything is said about it) when its party is not visible to ``tx.actor``."""
    try:
        registration_id = read_token(tx.app, "checkin", token_of(scanned))
    except NotFound:
        raise ValidationError("token", "this is not a valid ticket") from None
    reg = registration_row(tx.conn, registration_id)
    # Nothing is said about a ticket whose party the staff member may not see.
    if reg.party_id is None:
        raise NotFound("there is no such registration")
    seen_party(tx.hooks, tx.conn, tx.actor, reg.party_id)
    if reg.event_id != event_id:
        raise ValidationError("token", "this ticket is for another event")
    return registration_id


def check_in(tx: Transaction, event_id: int, registration_id: int, now: datetime) -> CheckIn:
    """Check the registrant in (as ``tx.actor``, who must see their party)."""
    reg = registration_row(tx.conn, registration_id)
    if reg.event_id != event_id:
        raise NotFound("there is no such registration")
    if reg.party_id is None:
        raise NotFound("there is no such registration")
    seen_party(tx.hooks, tx.conn, tx.actor, reg.party_id)
    name = " ".join(filter(None, (reg.first_name, reg.last_name)))
    if reg.status == "attended":
        return CheckIn("already", reg.id, name, reg.checked_in_at)
    if reg.status != "confirmed":
        raise ValidationError("token", f"this registration is {reg.status}: it holds no seat")
    done = tx.conn.execute(
        update(registration)
        .where(registration.c.id == registration_id, registration.c.status == "confirmed")
        .values(status="attended", checked_in_at=now, checked_in_by=tx.actor.user_id)
    )
    if done.rowcount != 1:
        # Scanned twice at once: the other scan checked them in.
        again = registration_row(tx.conn, registration_id)
        return CheckIn("already", reg.id, name, again.checked_in_at)
    event_name = tx.conn.execute(select(event.c.name).where(event.c.id == event_id)).scalar_one()
    log_interaction(
        tx,
        build_interaction(
            {
                "party_id": reg.party_id,
                "channel": "event",
                "direction": "inbound",
                "occurred_at": now.isoformat(),
                "subject": f"Attended {event_name}"[:500],
                "outcome": "attended",
                **({"owner_id": tx.actor.user_id} if tx.actor.user_id is not None else {}),
                "refs": [
                    {"kind": "campaigns.event", "id": str(event_id)},
                    {"kind": REGISTRATION, "id": str(registration_id)},
                ],
            },
            source="campaigns",
        ),
    )
    tx.emit(
        "campaigns.attendee_checked_in",
        REGISTRATION,
        registration_id,
        {"event_id": event_id, "party_id": reg.party_id, "status": "attended"},
    )
    return CheckIn("checked_in", reg.id, name, now)
