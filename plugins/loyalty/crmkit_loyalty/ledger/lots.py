"""Lots: what each earning (or positive adjustment) has left, spent first in, first out.

Every change to a member's points runs under the member's row lock (``lock_member``):
taken first, before any lot is read or written, so that two redemptions, an earning and the
expiry job of one member take turns and never deadlock (PostgreSQL: ``SELECT … FOR UPDATE``;
SQLite: one writer at a time already).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import frozen
from sqlalchemy import bindparam, case, insert, select, update

from crmkit import NotFound, Transaction, UTCDateTime
from crmkit_loyalty.ledger.tables import allocation, lot, member
from crmkit_loyalty.programmes.months import add_months
from crmkit_loyalty.programmes.tables import programme


@frozen
class Taken:
    """Points an entry took from one lot."""

    lot_id: int
    points: int


def expiry_for(tx: Transaction, programme_id: int, earned_at: datetime) -> datetime | None:
    months = tx.conn.execute(
        select(programme.c.points_expire_months).where(programme.c.id == programme_id)
    ).scalar_one()
    return None if months is None else add_months(earned_at, months)


_MEMBER = select(member).where(member.c.id == bindparam("member_id"))
_LOCK = {"postgresql": _MEMBER.with_for_update(), "sqlite": _MEMBER}
# The statements of every change to points are built once: building one costs more than
# running it.


def lock_member(tx: Transaction, member_id: int) -> Any:
    """The member's row, locked until the transaction ends; NotFound when there is none."""
    row = tx.conn.execute(_LOCK[tx.conn.dialect.name], {"member_id": member_id}).one_or_none()
    if row is None:
        raise NotFound(f"member {member_id} does not exist")
    return row


def open_lot(
    tx: Transaction, entry_id: int, member_id: int, points: int, expires_at: datetime | None
) -> None:
    tx.conn.execute(
        insert(lot).values(
            entry_id=entry_id, member_id=member_id, remaining=points, expires_at=expires_at
        )
    )


_OPEN_LOTS = (
    select(lot.c.entry_id, lot.c.remaining, lot.c.expires_at)
    .where(
        lot.c.member_id == bindparam("member_id"),
        lot.c.remaining > 0,
        lot.c.expires_at.is_(None) | (lot.c.expires_at > bindparam("now", type_=UTCDateTime())),
    )
    .order_by(case((lot.c.expires_at.is_(None), 1), else_=0), lot.c.expires_at, lot.c.entry_id)
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
CHUNK = 20


def first_in_first_out(conn: Any, member_id: int, points: int, now: datetime) -> list[Taken]:
    """Which of the member's open lots ``points`` come from: soonest expiry first, then
    oldest; lots that never expire last. Read a few lots at a time, as most spending takes
    from the first one or two; the caller has checked the balance."""
    taken: list[Taken] = []
    wanted, offset = points, 0
    while wanted > 0:
        rows = conn.execute(
            _OPEN_LOTS,
            {"member_id": member_id, "now": now, "limit": CHUNK, "offset": offset},
        ).all()
        for row in rows:
            take = min(row.remaining, wanted)
            taken.append(Taken(row.entry_id, take))
            wanted -= take
            if wanted == 0:
                break
        if len(rows) < CHUNK:
            break
        offset += CHUNK
    return taken


_ALLOCATE = insert(allocation)
_TAKE = (
    update(lot)
    .where(lot.c.entry_id == bindparam("lot_id"))
    .values(remaining=lot.c.remaining - bindparam("points"))
)


def record(tx: Transaction, entry_id: int, taken: list[Taken]) -> None:
    """The allocations of ``entry_id`` and the lots' remaining: negative points give back."""
    if not taken:
        return
    tx.conn.execute(
        _ALLOCATE, [{"entry_id": entry_id, "lot_id": t.lot_id, "points": t.points} for t in taken]
    )
    tx.conn.execute(_TAKE, [{"lot_id": t.lot_id, "points": t.points} for t in taken])


_BALANCE = (
    update(member)
    .where(member.c.id == bindparam("member_id"))
    .values(
        balance=member.c.balance + bindparam("points"),
        updated_at=bindparam("now", type_=UTCDateTime()),
    )
    .returning(member.c.balance)
)


def change_balance(tx: Transaction, member_id: int, points: int, now: datetime) -> int:
    """Add ``points`` (signed) to the balance in the database itself; the new balance."""
    changed = tx.conn.execute(_BALANCE, {"member_id": member_id, "points": points, "now": now})
    return int(changed.scalar_one())
