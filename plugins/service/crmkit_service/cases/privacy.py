"""A party's cases on merge, privacy export and erasure: their events and links go with them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, or_, select, update

from crmkit import Transaction
from crmkit_service.cases.model import case_number
from crmkit_service.cases.tables import case, case_event, case_link


def move_to_survivor(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    tx.conn.execute(update(case).where(case.c.party_id == merged_id).values(party_id=survivor_id))


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def export_of(conn: Connection, party_id: int) -> dict[str, Any]:
    """Every case of the party with all its events (internal notes too: they are about the party)."""
    rows = conn.execute(select(case).where(case.c.party_id == party_id).order_by(case.c.id)).all()
    ids = [row.id for row in rows]
    events: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    for event in conn.execute(
        select(case_event).where(case_event.c.case_id.in_(ids)).order_by(case_event.c.id)
    ):
        events[event.case_id].append(
            {
                "kind": event.kind,
                "public": event.public,
                "body": event.body,
                "data": event.data,
                "author_id": event.author_id,
                "created_at": event.created_at.isoformat(),
            }
        )
    return {
        "cases": [
            {
                "number": case_number(row.id),
                **{c.name: _plain(getattr(row, c.name)) for c in case.c},
                "events": events[row.id],
            }
            for row in rows
        ]
    }


def erase(tx: Transaction, party_id: int) -> None:
    """Delete the party's cases with their events and links (the other parts' rows of them
    cascade)."""
    ids = select(case.c.id).where(case.c.party_id == party_id)
    tx.conn.execute(delete(case_event).where(case_event.c.case_id.in_(ids)))
    tx.conn.execute(
        delete(case_link).where(or_(case_link.c.case_id.in_(ids), case_link.c.other_id.in_(ids)))
    )
    tx.conn.execute(delete(case).where(case.c.party_id == party_id))
