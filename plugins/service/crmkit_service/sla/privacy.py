"""SLA rows about a party: they follow its cases on merge, are exported and go on erasure."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, select, update

from crmkit import Transaction
from crmkit_service.sla.tables import breach, clock


def move_to_survivor(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    for table in (clock, breach):
        tx.conn.execute(
            update(table).where(table.c.party_id == merged_id).values(party_id=survivor_id)
        )


def export_of(conn: Connection, party_id: int) -> dict[str, Any]:
    clocks = conn.execute(
        select(
            clock.c.case_id,
            clock.c.metric,
            clock.c.started_at,
            clock.c.due_at,
            clock.c.stopped_at,
            clock.c.met,
        )
        .where(clock.c.party_id == party_id)
        .order_by(clock.c.case_id, clock.c.metric)
    )
    breaches = conn.execute(
        select(
            breach.c.case_id,
            breach.c.metric,
            breach.c.due_at,
            breach.c.breached_at,
            breach.c.penalty,
        )
        .where(breach.c.party_id == party_id)
        .order_by(breach.c.id)
    )
    return {
        "sla_clocks": [dict(row._mapping) for row in clocks],
        "sla_breaches": [dict(row._mapping) for row in breaches],
    }


def erase(tx: Transaction, party_id: int) -> None:
    tx.conn.execute(delete(breach).where(breach.c.party_id == party_id))
    tx.conn.execute(delete(clock).where(clock.c.party_id == party_id))
