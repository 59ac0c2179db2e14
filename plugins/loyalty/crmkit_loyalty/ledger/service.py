"""Members and their ledger: what the other parts call (owned by the ledger part).

Every change to points is an entry appended in the caller's transaction; the member's
balance and the lots it spends from change with it (docs/ledger.md).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from crmkit import ConflictError, NotFound, Transaction, ValidationError, seen_party, utcnow
from crmkit_loyalty.ledger import entries, lots
from crmkit_loyalty.ledger.model import Entry, Member, Standing
from crmkit_loyalty.ledger.numbers import member_number
from crmkit_loyalty.ledger.tables import member, tier_change
from crmkit_loyalty.programmes import tiers
from crmkit_loyalty.programmes.tables import programme, tier

MAX_POINTS = 1_000_000_000
"""No single change moves more points than this: a typo, not a customer's reward."""


def _programme_row(conn: Connection, programme_id: int) -> Any:
    row = conn.execute(
        select(programme.c.id, programme.c.status).where(programme.c.id == programme_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"programme {programme_id} does not exist")
    return row


def enrol(tx: Transaction, programme_id: int, party_id: int) -> Member:
    """The party's membership of the programme, made now (in its entry tier) unless it exists.
    Refuses a party ``tx.actor`` does not see (NotFound) and a closed programme."""
    return enrolment(tx, programme_id, party_id)[0]


def enrolment(tx: Transaction, programme_id: int, party_id: int) -> tuple[Member, bool]:
    """As ``enrol``, and whether this call made the membership (False when it existed, or a
    concurrent transaction made it a moment ago)."""
    seen_party(tx.hooks, tx.conn, tx.actor, party_id)
    found = _programme_row(tx.conn, programme_id)
    existing = member_of(tx.conn, programme_id, party_id)
    if existing is not None:
        return existing, False
    if found.status != "active":
        raise ConflictError(f"programme {programme_id} is closed: it enrols no one")
    entry_tier = tx.conn.execute(
        select(tier.c.id).where(tier.c.programme_id == programme_id, tier.c.rank == 0)
    ).scalar_one_or_none()
    if entry_tier is None:
        raise ConflictError(f"programme {programme_id} has no entry tier (rank 0)")
    now = utcnow()
    dialect = postgresql if tx.conn.dialect.name == "postgresql" else sqlite
    # The number derives from the id, known only once the row is in: a unique placeholder first.
    made = tx.conn.execute(
        dialect.insert(member)
        .values(
            programme_id=programme_id,
            party_id=party_id,
            number=f"~{uuid.uuid4().hex[:24]}",
            status="active",
            tier_id=entry_tier,
            tier_since=now,
            balance=0,
            lifetime_points=0,
            enrolled_at=now,
            updated_at=now,
            version=1,
        )
        .on_conflict_do_nothing()
        .returning(member.c.id)
    ).scalar_one_or_none()
    if made is None:  # enrolled by a concurrent transaction a moment ago
        again = member_of(tx.conn, programme_id, party_id)
        assert again is not None
        return again, False
    tx.conn.execute(update(member).where(member.c.id == made).values(number=member_number(made)))
    tx.conn.execute(
        insert(tier_change).values(
            member_id=made,
            from_tier_id=None,
            to_tier_id=entry_tier,
            reason="enrolled",
            changed_by=tx.actor.user_id,
            changed_at=now,
        )
    )
    enrolled = get_member(tx.conn, made)
    tx.emit(
        "loyalty.member_enrolled",
        "loyalty.member",
        made,
        {
            "member_id": made,
            "party_id": party_id,
            "programme_id": programme_id,
            "number": enrolled.number,
            "tier_id": entry_tier,
        },
    )
    return enrolled, True


def member_of(conn: Connection, programme_id: int, party_id: int) -> Member | None:
    """The party's membership of the programme, or None."""
    row = conn.execute(
        select(member).where(member.c.programme_id == programme_id, member.c.party_id == party_id)
    ).one_or_none()
    return None if row is None else Member.of(row)


def get_member(conn: Connection, member_id: int) -> Member:
    """The member; NotFound when there is none (the caller checks who may see its party)."""
    row = conn.execute(select(member).where(member.c.id == member_id)).one_or_none()
    if row is None:
        raise NotFound(f"member {member_id} does not exist")
    return Member.of(row)


def standing(conn: Connection, member_id: int) -> Standing:
    """The member's balance and tier in one indexed query: what the member page and API head with."""
    row = conn.execute(
        select(
            member.c.id,
            member.c.balance,
            member.c.lifetime_points,
            member.c.tier_id,
            member.c.tier_since,
            tier.c.name,
            tier.c.rank,
        )
        .join(tier, tier.c.id == member.c.tier_id)
        .where(member.c.id == member_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"member {member_id} does not exist")
    return Standing(
        row.id, row.balance, row.lifetime_points, row.tier_id, row.name, row.rank, row.tier_since
    )


def check_points(field: str, points: Any) -> int:
    """A whole number of points from 1 to MAX_POINTS; a ValidationError naming ``field``."""
    if isinstance(points, bool) or not isinstance(points, int):
        raise ValidationError(field, "must be a whole number")
    if points <= 0:
        raise ValidationError(field, "must be more than 0")
    if points > MAX_POINTS:
        raise ValidationError(field, f"must be at most {MAX_POINTS}")
    return points


def check_key(source: str, reference: str) -> None:
    """The idempotency key of an entry: what the columns hold."""
    if not source or len(source) > 100:
        raise ValidationError("source", "must be 1 to 100 characters")
    if not reference or len(reference) > 200:
        raise ValidationError("reference", "must be 1 to 200 characters")


def earn(
    tx: Transaction,
    member_id: int,
    points: int,
    *,
    source: str,
    reference: str,
    rule_id: int | None = None,
    description: str | None = None,
    details: dict[str, Any] | None = None,
) -> Entry | None:
    """Add ``points`` (> 0) to the member: an ``earn`` entry, a lot expiring as the programme
    says, the balance; then the tier is requalified. None, changing nothing, when the member
    already has an entry of ``source`` and ``reference`` (an event delivered twice, a retry).
    A member not active, or of a closed programme, is refused (ConflictError)."""
    check_points("points", points)
    check_key(source, reference)
    row = lots.lock_member(tx, member_id)
    if row.status != "active":
        raise ConflictError(f"member {member_id} is {row.status}: it earns nothing")
    if _programme_row(tx.conn, row.programme_id).status != "active":
        raise ConflictError(f"programme {row.programme_id} is closed: it earns nothing")
    now = utcnow()
    expires_at = lots.expiry_for(tx, row.programme_id, now)
    made = entries.append(
        tx,
        member_id,
        "earn",
        points,
        source=source,
        reference=reference,
        now=now,
        rule_id=rule_id,
        description=description,
        details=details,
        expires_at=expires_at,
    )
    if made is None:
        return None
    lots.open_lot(tx, made.id, member_id, points, expires_at)
    balance = int(
        tx.conn.execute(
            update(member)
            .where(member.c.id == member_id)
            .values(
                balance=member.c.balance + points,
                lifetime_points=member.c.lifetime_points + points,
                updated_at=now,
            )
            .returning(member.c.balance)
        ).scalar_one()
    )
    tiers.requalify(tx, member_id)
    tx.emit(
        "loyalty.points_earned",
        "loyalty.member",
        member_id,
        {
            "member_id": member_id,
            "party_id": row.party_id,
            "programme_id": row.programme_id,
            "entry_id": made.id,
            "points": points,
            "balance": balance,
            "source": source,
            "reference": reference,
        },
    )
    return made
