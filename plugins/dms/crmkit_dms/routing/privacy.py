"""What the routing part holds on a party: merges, exports and erasure.

An erased lead's assignments stay, anonymised (no party, postcode, vehicle or reason), so
that partners' figures still count the offers they had.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update

from crmkit import Transaction, utcnow
from crmkit_dms.routing.model import Assignment
from crmkit_dms.routing.tables import assignment


def move_to_survivor(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    now = utcnow()
    survivor_open = tx.conn.execute(
        select(assignment.c.id).where(
            assignment.c.party_id == survivor_id, assignment.c.closed_at.is_(None)
        )
    ).first()
    if survivor_open is not None:
        # A lead is worked by one partner at a time: the survivor's open offer stays.
        tx.conn.execute(
            update(assignment)
            .where(assignment.c.party_id == merged_id, assignment.c.closed_at.is_(None))
            .values(
                closed_at=now,
                reason="merged",
                updated_at=now,
                version=assignment.c.version + 1,
            )
        )
    tx.conn.execute(
        update(assignment)
        .where(assignment.c.party_id == merged_id)
        .values(party_id=survivor_id, updated_at=now, version=assignment.c.version + 1)
    )


def export_of(conn: Connection, party_id: int) -> dict[str, Any]:
    rows = conn.execute(
        select(assignment).where(assignment.c.party_id == party_id).order_by(assignment.c.id)
    )
    return {"assignments": [Assignment.of(row).as_json() for row in rows]}


def erase(tx: Transaction, party_id: int) -> None:
    now = utcnow()
    tx.conn.execute(
        update(assignment)
        .where(assignment.c.party_id == party_id, assignment.c.closed_at.is_(None))
        .values(closed_at=now, updated_at=now)
    )
    tx.conn.execute(
        update(assignment)
        .where(assignment.c.party_id == party_id)
        .values(
            party_id=None,
            postcode=None,
            vehicle=None,
            reason=None,
            updated_at=now,
            version=assignment.c.version + 1,
        )
    )
