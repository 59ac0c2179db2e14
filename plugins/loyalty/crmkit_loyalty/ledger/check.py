"""The balance check: every derived number recomputed from the append-only ledger.

A member's ``balance`` is the sum of its entries and equals what its lots have left; a lot's
``remaining`` is its entry's points less what allocations took (plus what they gave back),
and never below zero nor above what it started with. A mismatch means points were created
or lost; ``crmkit loyalty check`` reports each one.
"""

from __future__ import annotations

from typing import Any

from attrs import frozen
from sqlalchemy import Connection, func, or_, select

from crmkit_loyalty.ledger.tables import allocation, entry, lot, member


@frozen
class Mismatch:
    """``what`` (``balance``, ``lots`` or ``lot``) of member or lot ``id`` is ``stored`` but
    the ledger says ``computed``."""

    what: str
    id: int
    stored: int
    computed: int
    problem: str | None = None
    """What is wrong besides a difference, or even without one: ``negative balance`` ..."""

    def __str__(self) -> str:
        said = f"{self.what} {self.id}: stored {self.stored}, the ledger says {self.computed}"
        return said if self.problem is None else f"{said}: {self.problem}"


def mismatches(conn: Connection) -> list[Mismatch]:
    """Every number that does not agree with the ledger, members first, then lots."""
    sums = (
        select(entry.c.member_id, func.sum(entry.c.points).label("points"))
        .group_by(entry.c.member_id)
        .subquery()
    )
    left = (
        select(lot.c.member_id, func.sum(lot.c.remaining).label("points"))
        .group_by(lot.c.member_id)
        .subquery()
    )
    from_entries = func.coalesce(sums.c.points, 0)
    in_lots = func.coalesce(left.c.points, 0)
    found: list[Mismatch] = []
    rows = conn.execute(
        select(member.c.id, member.c.balance, from_entries.label("entries"), in_lots.label("lots"))
        .outerjoin(sums, sums.c.member_id == member.c.id)
        .outerjoin(left, left.c.member_id == member.c.id)
        .where(
            or_(
                member.c.balance != from_entries,
                member.c.balance != in_lots,
                member.c.balance < 0,
            )
        )
        .order_by(member.c.id)
    )
    for row in rows:
        if row.balance != row.entries or row.balance < 0:
            negative = "negative balance" if row.balance < 0 else None
            found.append(Mismatch("balance", row.id, row.balance, int(row.entries), negative))
        if row.balance != row.lots:
            found.append(Mismatch("lots", row.id, row.balance, int(row.lots)))
    taken = (
        select(allocation.c.lot_id, func.sum(allocation.c.points).label("points"))
        .group_by(allocation.c.lot_id)
        .subquery()
    )
    computed = entry.c.points - func.coalesce(taken.c.points, 0)
    lots = conn.execute(
        select(lot.c.entry_id, lot.c.remaining, computed.label("computed"), entry.c.points)
        .join(entry, entry.c.id == lot.c.entry_id)
        .outerjoin(taken, taken.c.lot_id == lot.c.entry_id)
        .where(
            or_(lot.c.remaining != computed, lot.c.remaining < 0, lot.c.remaining > entry.c.points)
        )
        .order_by(lot.c.entry_id)
    )
    found.extend(
        Mismatch("lot", r.entry_id, r.remaining, int(r.computed), _lot_problem(r)) for r in lots
    )
    return found


def _lot_problem(row: Any) -> str | None:
    if row.remaining < 0:
        return "negative remaining"
    if row.remaining > row.points:
        return f"more than the {row.points} points it started with"
    return None
