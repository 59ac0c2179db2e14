"""Whom an earning goes to, and what limits it: the member of a programme, their tier's
multiplier, a rule's yearly cap."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from sqlalchemy import func, select

from crmkit import Transaction, party_table
from crmkit_loyalty.ledger import service as ledger
from crmkit_loyalty.ledger.model import Member
from crmkit_loyalty.ledger.tables import entry, member
from crmkit_loyalty.programmes.model import Programme
from crmkit_loyalty.programmes.tables import tier

YEAR = timedelta(days=365)


def earning_member(
    tx: Transaction, programme: Programme, party_id: int, *, enrol: bool
) -> Member | None:
    """The party's active membership of the programme; a new one when ``enrol`` and the
    programme enrols automatically; else None (a suspended or closed member earns nothing)."""
    found = ledger.member_of(tx.conn, programme.id, party_id)
    if found is None and enrol and programme.auto_enrol:
        found = ledger.enrol(tx, programme.id, party_id)
    if found is None or found.status != "active":
        return None
    return found


def is_customer(tx: Transaction, party_id: int) -> bool:
    """Whether the party exists and is a customer: only customers are enrolled automatically."""
    role = tx.conn.execute(
        select(party_table.c.role).where(party_table.c.id == party_id)
    ).scalar_one_or_none()
    return role == "customer"


def multiplier_of(tx: Transaction, tier_id: int) -> Decimal:
    """What the tier multiplies its members' points by."""
    value = tx.conn.execute(select(tier.c.multiplier).where(tier.c.id == tier_id)).scalar()
    return Decimal(1) if value is None else Decimal(value)


def multiplied(points: int, multiplier: Decimal) -> int:
    """A rule's fixed points for a member of a tier with ``multiplier``, rounded down."""
    return int((points * multiplier).to_integral_value(rounding=ROUND_FLOOR))


def lock(tx: Transaction, member_id: int) -> None:
    """Hold the member's row until the transaction ends, so that two earnings counting
    against one cap take turns (SQLite: one writer at a time already)."""
    if tx.conn.dialect.name == "postgresql":
        tx.conn.execute(select(member.c.id).where(member.c.id == member_id).with_for_update())


def under_cap(tx: Transaction, member_id: int, source: str, cap: int | None, now: datetime) -> bool:
    """Whether the member has earned fewer than ``cap`` times from ``source`` in the last 365
    days (no cap: always). Call it after :func:`lock`."""
    if cap is None:
        return True
    earned = tx.conn.execute(
        select(func.count())
        .select_from(entry)
        .where(
            entry.c.member_id == member_id,
            entry.c.source == source,
            entry.c.kind == "earn",
            entry.c.created_at > now - YEAR,
        )
    ).scalar_one()
    return int(earned) < cap
