"""Reading members as a user may: only those whose party the user sees.

A member is seen exactly by whoever sees its party; one whose party was erased (``party_id``
None, the ledger kept anonymised) only by those who see every party. Anyone else is answered
as if the member did not exist.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from attrs import frozen
from sqlalchemy import Select, func, select

from crmkit import (
    NotFound,
    Page,
    Transaction,
    ValidationError,
    newest_first,
    party_table,
    seen_parties,
    seen_party,
    sees_every_party,
)
from crmkit_loyalty.ledger.model import Entry, Member, Redemption
from crmkit_loyalty.ledger.numbers import is_member_number
from crmkit_loyalty.ledger.service import get_member, standing
from crmkit_loyalty.ledger.tables import entry, lot, member, redemption
from crmkit_loyalty.programmes.tables import programme, tier

SOON = timedelta(days=90)
"""How far ahead the member page and API tell which points are about to expire."""
SEARCH_LIMIT = 200


@frozen
class MemberSummary:
    """A member as lists show it: the party's name (None once erased), programme and tier."""

    id: int
    number: str
    status: str
    programme_id: int
    programme_name: str
    party_id: int | None
    party_name: str | None
    tier_id: int
    tier_name: str
    tier_rank: int
    balance: int
    enrolled_at: datetime
    merged_into_id: int | None


@frozen
class MemberDetail:
    """A member with its tier and what is about to expire: what its page and the API show."""

    member: Member
    programme_name: str
    party_name: str | None
    tier_name: str
    tier_rank: int
    expiring_soon: int
    """Points that expire within the next 90 days unless spent."""
    next_expiry: datetime | None


def _summaries(tx: Transaction) -> Select[Any]:
    query = (
        select(
            member,
            programme.c.name.label("programme_name"),
            party_table.c.display_name.label("party_name"),
            tier.c.name.label("tier_name"),
            tier.c.rank.label("tier_rank"),
        )
        .join(programme, programme.c.id == member.c.programme_id)
        .join(tier, tier.c.id == member.c.tier_id)
    )
    if sees_every_party(tx.hooks, tx.actor):
        return query.outerjoin(party_table, party_table.c.id == member.c.party_id)
    return query.join(party_table, party_table.c.id == member.c.party_id).where(
        seen_parties(tx.hooks, tx.actor)
    )


def _summary(row: Any) -> MemberSummary:
    return MemberSummary(
        row.id,
        row.number,
        row.status,
        row.programme_id,
        row.programme_name,
        row.party_id,
        row.party_name,
        row.tier_id,
        row.tier_name,
        row.tier_rank,
        row.balance,
        row.enrolled_at,
        row.merged_into_id,
    )


def list_members(
    tx: Transaction,
    *,
    programme_id: int | None = None,
    tier_id: int | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[MemberSummary]:
    """A page of the members ``tx.actor`` sees, newest first; ``q`` is a member number or
    part of the party's name."""
    query = _summaries(tx)
    if programme_id is not None:
        query = query.where(member.c.programme_id == programme_id)
    if tier_id is not None:
        query = query.where(member.c.tier_id == tier_id)
    if q is not None and q.strip():
        text = q.strip()
        if len(text) > SEARCH_LIMIT:
            raise ValidationError("q", f"must be at most {SEARCH_LIMIT} characters")
        if is_member_number(text):
            query = query.where(member.c.number == text.upper())
        else:
            name = func.lower(party_table.c.display_name)
            query = query.where(name.contains(text.lower(), autoescape=True))
    return newest_first(tx.conn, query, member.c.id, _summary, cursor=cursor, limit=limit)


def memberships_of(tx: Transaction, party_id: int) -> list[MemberSummary]:
    """The party's memberships, one per programme; NotFound for a party the actor does not see."""
    seen_party(tx.hooks, tx.conn, tx.actor, party_id)
    rows = tx.conn.execute(
        _summaries(tx).where(member.c.party_id == party_id).order_by(member.c.id)
    ).all()
    return [_summary(r) for r in rows]


def visible_member(tx: Transaction, member_id: int) -> Member:
    """The member, if ``tx.actor`` sees its party; otherwise NotFound, as for no member at all."""
    found = get_member(tx.conn, member_id)
    hidden = NotFound(f"member {member_id} does not exist")
    if found.party_id is None:
        if not sees_every_party(tx.hooks, tx.actor):
            raise hidden
        return found
    try:
        seen_party(tx.hooks, tx.conn, tx.actor, found.party_id)
    except NotFound:
        raise hidden from None
    return found


def member_detail(tx: Transaction, member_id: int, now: datetime) -> MemberDetail:
    """What the member page and ``GET /p/loyalty/members/{id}`` show: the member (NotFound
    unless ``tx.actor`` sees its party), its balance and tier (:func:`service.standing`),
    and the points expiring within 90 days."""
    found = visible_member(tx, member_id)
    held = standing(tx.conn, member_id)
    names = tx.conn.execute(
        select(programme.c.name, party_table.c.display_name)
        .select_from(member)
        .join(programme, programme.c.id == member.c.programme_id)
        .outerjoin(party_table, party_table.c.id == member.c.party_id)
        .where(member.c.id == member_id)
    ).one()
    soon = tx.conn.execute(
        select(func.coalesce(func.sum(lot.c.remaining), 0), func.min(lot.c.expires_at)).where(
            lot.c.member_id == member_id,
            lot.c.remaining > 0,
            lot.c.expires_at > now,
            lot.c.expires_at <= now + SOON,
        )
    ).one()
    return MemberDetail(
        found,
        names[0],
        names[1],
        held.tier_name,
        held.tier_rank,
        int(soon[0]),
        soon[1],
    )


def entries_of(
    tx: Transaction, member_id: int, *, cursor: str | None, limit: int, source: str | None = None
) -> Page[Entry]:
    """A page of the member's entries, newest first (of one ``source``, if given)."""
    visible_member(tx, member_id)
    query = select(entry).where(entry.c.member_id == member_id)
    if source is not None:
        query = query.where(entry.c.source == source)
    return newest_first(tx.conn, query, entry.c.id, Entry.of, cursor=cursor, limit=limit)


def redemptions_of(
    tx: Transaction, member_id: int, *, cursor: str | None, limit: int
) -> Page[Redemption]:
    visible_member(tx, member_id)
    query = select(redemption).where(redemption.c.member_id == member_id)
    return newest_first(tx.conn, query, redemption.c.id, Redemption.of, cursor=cursor, limit=limit)
