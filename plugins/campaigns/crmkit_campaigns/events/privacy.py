"""The events part's rows about a party: exported, erased and moved on a merge.

A registration is the party's data. Erasure anonymises it (no name, address,
company or phone; no party) rather than deleting it, so that an event's seat
counts and attendance figures stay true.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update

from crmkit import Transaction, utcnow
from crmkit_campaigns.events.registration import promote, withdraw
from crmkit_campaigns.events.tables import event, registration

PERSONAL = ("first_name", "last_name", "email", "company", "phone")
WITHDRAWN = ("pending", "waitlisted")
"""What an erasure cancels: registrations that hold no seat yet."""
RANK = {"attended": 4, "confirmed": 3, "waitlisted": 2, "pending": 1}
"""Which of a merged person's two registrations for one event is kept: the higher."""


def export_of(conn: Connection, party_id: int) -> dict[str, Any]:
    """The party's registrations, with the event each is for."""
    rows = conn.execute(
        select(registration, event.c.name.label("event_name"), event.c.starts_at)
        .join(event, event.c.id == registration.c.event_id)
        .where(registration.c.party_id == party_id)
        .order_by(registration.c.id)
    )
    return {
        "event_registrations": [
            {
                "id": r.id,
                "event_id": r.event_id,
                "event": r.event_name,
                "event_starts_at": r.starts_at.isoformat(),
                "status": r.status,
                **{name: getattr(r, name) for name in PERSONAL},
                "marketing_consent": bool(r.marketing_consent),
                "registered_at": r.created_at.isoformat(),
                "confirmed_at": r.confirmed_at.isoformat() if r.confirmed_at else None,
                "cancelled_at": r.cancelled_at.isoformat() if r.cancelled_at else None,
                "checked_in_at": r.checked_in_at.isoformat() if r.checked_in_at else None,
            }
            for r in rows
        ]
    }


def erase(tx: Transaction, party_id: int) -> None:
    """Anonymise the party's registrations, withdrawing those still pending or waiting: an
    erased person can neither confirm nor be given a seat (nor be emailed about one). A seat
    held stays taken, so that the event's counts hold."""
    tx.conn.execute(
        update(registration)
        .where(registration.c.party_id == party_id, registration.c.status.in_(WITHDRAWN))
        .values(status="cancelled", cancelled_at=utcnow())
    )
    tx.conn.execute(
        update(registration)
        .where(registration.c.party_id == party_id)
        .values(party_id=None, **dict.fromkeys(PERSONAL))
    )


def move_to_survivor(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    """Re-point the merged party's registrations to the survivor, who then holds one
    registration per event: the better of two is kept, the other cancelled and its seat
    given to the waiting list."""
    now = utcnow()
    active = tx.conn.execute(
        select(registration.c.id, registration.c.event_id, registration.c.status)
        .where(
            registration.c.party_id.in_([survivor_id, merged_id]),
            registration.c.status != "cancelled",
        )
        .order_by(registration.c.id)
    ).all()
    by_event: dict[int, list[Any]] = {}
    for row in active:
        by_event.setdefault(row.event_id, []).append(row)
    freed: list[int] = []
    for event_id, rows in by_event.items():
        kept = max(rows, key=lambda r: (RANK[r.status], -r.id))
        losers = [r.id for r in rows if r.id != kept.id]
        if losers and withdraw(tx, losers, now):
            freed.append(event_id)
    tx.conn.execute(
        update(registration)
        .where(registration.c.party_id == merged_id)
        .values(party_id=survivor_id)
    )
    for event_id in freed:
        promote(tx, event_id, now)
