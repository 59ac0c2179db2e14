"""Expiry: what remains of a lot once its ``expires_at`` has passed leaves the balance.

Each expired lot gets one ``expire`` entry (source ``expiry``, reference the lot's entry id),
so that a job run twice, or killed and run again, expires nothing twice. A member's due lots
are also expired before anything is spent from them, so that a redemption never spends
points that have run out, whether or not the daily job has run yet.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select

from crmkit import Transaction, UTCDateTime, utcnow
from crmkit_loyalty.ledger import entries, lots
from crmkit_loyalty.ledger.tables import lot

BATCH = 200
"""Members expired per transaction by the job: short transactions, progress kept on a crash."""


_DUE = (
    select(lot.c.entry_id, lot.c.remaining, lot.c.expires_at)
    .where(
        lot.c.member_id == bindparam("member_id"),
        lot.c.remaining > 0,
        lot.c.expires_at <= bindparam("now", type_=UTCDateTime()),
    )
    .order_by(lot.c.expires_at, lot.c.entry_id)
)
"""Built once: it runs before every redemption."""


def expire_member(tx: Transaction, row: Any, now: datetime) -> int:
    """Expire the due lots of the member (its row, locked by the caller); the points taken."""
    due = tx.conn.execute(_DUE, {"member_id": row.id, "now": now}).all()
    taken = 0
    for due_lot in due:
        made = entries.append(
            tx,
            row.id,
            "expire",
            -due_lot.remaining,
            source="expiry",
            reference=str(due_lot.entry_id),
            now=now,
            description="Points expired",
        )
        if made is None:
            continue  # its expiry is recorded already
        lots.record(tx, made.id, [lots.Taken(due_lot.entry_id, due_lot.remaining)])
        taken += due_lot.remaining
    if taken:
        balance = lots.change_balance(tx, row.id, -taken, now)
        tx.emit(
            "loyalty.points_expired",
            "loyalty.member",
            row.id,
            {
                "member_id": row.id,
                "party_id": row.party_id,
                "programme_id": row.programme_id,
                "points": taken,
                "balance": balance,
            },
        )
    return taken


def expire_points(app: Any) -> int:
    """The job ``loyalty.expire_points``: expire every due lot, a batch of members per
    transaction. Returns the points expired."""
    now = utcnow()
    total = 0
    after = 0
    while True:
        with app.transaction() as tx:
            members = list(
                tx.conn.execute(
                    select(lot.c.member_id)
                    .where(lot.c.remaining > 0, lot.c.expires_at <= now, lot.c.member_id > after)
                    .group_by(lot.c.member_id)
                    .order_by(lot.c.member_id)
                    .limit(BATCH)
                ).scalars()
            )
            if not members:
                return total
            for member_id in members:
                total += expire_member(tx, lots.lock_member(tx, member_id), now)
            after = members[-1]
