"""Offers past their deadline are routed on: the partner let the lead wait too long.

Each batch of due offers is taken with row locks that a concurrent run skips (SKIP LOCKED
on PostgreSQL; SQLite has a single writer), and each is closed and offered on in the same
transaction: two runs at once, or a run after a crash, never offer a lead twice.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from crmkit import Transaction, utcnow
from crmkit_dms.routing.model import Assignment
from crmkit_dms.routing.service import payload_of, route_on, settings_of, write_change
from crmkit_dms.routing.tables import assignment


def _due(tx: Transaction, batch: int) -> list[Assignment]:
    now = utcnow()
    rows = tx.conn.execute(
        select(assignment)
        .where(
            assignment.c.state == "offered",
            assignment.c.closed_at.is_(None),
            assignment.c.accept_by <= now,
        )
        .order_by(assignment.c.accept_by, assignment.c.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    return [Assignment.of(row) for row in rows]


def route_on_expired(app: Any) -> int:
    """The job ``dms.route_on_expired``: expire every offer past its ``accept_by`` and offer its
    lead to the next partner (or the fallback queue). Returns the offers expired."""
    expired = 0
    while True:
        with app.transaction() as tx:
            due = _due(tx, settings_of(tx).batch)
            if not due:
                return expired
            for found in due:
                now = utcnow()
                closed = write_change(
                    tx, found, now, state="expired", reason="not accepted in time", closed_at=now
                )
                tx.emit(
                    "dms.lead_expired",
                    "dms.assignment",
                    closed.id,
                    payload_of(closed),
                )
                if closed.party_id is not None:
                    route_on(tx, closed, now)
                expired += 1
