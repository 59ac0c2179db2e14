"""Tiers: which one a member qualifies for, upgrades as points are earned, reviews and downgrades
(owned by the programmes part).

A member's qualifying points are the points of their ``earn`` entries made within the
programme's qualification period (the last ``qualification_months`` months), less the
reversals of those entries. Redemptions, expiries and adjustments do not count: spending
points does not cost a tier.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, insert, or_, select, update

from crmkit import NotFound, Transaction, utcnow
from crmkit_loyalty.ledger.tables import entry, member, tier_change
from crmkit_loyalty.programmes.event_types import MEMBER
from crmkit_loyalty.programmes.months import add_months
from crmkit_loyalty.programmes.tables import programme, tier

_reversed = entry.alias("reversed")


def _qualifying(since: datetime) -> tuple[Any, ColumnElement[bool]]:
    """What to join and keep among a member's entries to sum their qualifying points."""
    joined = entry.outerjoin(_reversed, _reversed.c.id == entry.c.reverses_id)
    # A reversal comes after what it reverses, so both fall at or after ``since``: the
    # (member_id, created_at) index bounds the scan.
    kept = and_(
        entry.c.created_at >= since,
        or_(
            entry.c.kind == "earn",
            and_(
                entry.c.kind == "reverse",
                _reversed.c.kind == "earn",
                _reversed.c.created_at >= since,
            ),
        ),
    )
    return joined, kept


def qualifying_points(conn: Any, member_id: int, since: datetime) -> int:
    """The member's points earned at or after ``since``, less their reversals."""
    joined, kept = _qualifying(since)
    total = conn.execute(
        select(func.coalesce(func.sum(entry.c.points), 0))
        .select_from(joined)
        .where(entry.c.member_id == member_id, kept)
    ).scalar_one()
    return int(total)


def qualifying_points_of(conn: Any, member_ids: Iterable[int], since: datetime) -> dict[int, int]:
    """:func:`qualifying_points` of many members in one query; a member without any is 0."""
    ids = list(member_ids)
    joined, kept = _qualifying(since)
    rows = conn.execute(
        select(entry.c.member_id, func.sum(entry.c.points))
        .select_from(joined)
        .where(entry.c.member_id.in_(ids), kept)
        .group_by(entry.c.member_id)
    )
    found = {member_id: int(points) for member_id, points in rows}
    return {member_id: found.get(member_id, 0) for member_id in ids}


def move(
    tx: Transaction,
    current: Any,
    to_tier: Any,
    *,
    reason: str,
    now: datetime,
    review_on: datetime | None,
    points: int | None,
    version: int | None = None,
) -> bool:
    """Move the member (``current``: its row with ``tier_id``, ``rank``, ``programme_id``,
    ``party_id``, ``tier_review_on``) to ``to_tier`` (``id``, ``rank``), record and announce
    it; False, changing nothing, when the member's tier (or, given, its ``version``) changed
    meanwhile."""
    unchanged = [member.c.id == current.id, member.c.tier_id == current.tier_id]
    if version is not None:
        unchanged.append(member.c.version == version)
    done = tx.conn.execute(
        update(member)
        .where(*unchanged)
        .values(
            tier_id=to_tier.id,
            tier_since=now,
            tier_review_on=review_on,
            updated_at=now,
            version=member.c.version + 1,
        )
    ).rowcount
    if done != 1:
        return False
    tx.conn.execute(
        insert(tier_change).values(
            member_id=current.id,
            from_tier_id=current.tier_id,
            to_tier_id=to_tier.id,
            reason=reason,
            changed_by=tx.actor.user_id,
            changed_at=now,
        )
    )
    tx.emit(
        "loyalty.tier_changed",
        MEMBER,
        current.id,
        {
            "member_id": current.id,
            "party_id": current.party_id,
            "programme_id": current.programme_id,
            "from_tier_id": current.tier_id,
            "from_rank": current.rank,
            "to_tier_id": to_tier.id,
            "to_rank": to_tier.rank,
            "reason": reason,
            "points": points,
        },
    )
    return True


def member_with_tier(conn: Any, member_id: int) -> Any:
    """The member's row with its tier's rank and threshold and its programme's qualification
    period and downgrade rule; NotFound if there is none."""
    found = conn.execute(
        select(
            member.c.id,
            member.c.programme_id,
            member.c.party_id,
            member.c.tier_id,
            member.c.tier_review_on,
            member.c.version,
            tier.c.rank,
            tier.c.threshold,
            programme.c.qualification_months,
            programme.c.downgrade,
        )
        .join(tier, tier.c.id == member.c.tier_id)
        .join(programme, programme.c.id == member.c.programme_id)
        .where(member.c.id == member_id)
    ).first()
    if found is None:
        raise NotFound(f"member {member_id} does not exist")
    return found


def requalify(tx: Transaction, member_id: int) -> None:
    """Move the member up to the highest tier whose threshold the points earned within the
    programme's qualification period reach (never down: downgrades happen at the review),
    recording the change. The ledger calls it after every earning."""
    current = member_with_tier(tx.conn, member_id)
    now = utcnow()
    since = add_months(now, -current.qualification_months)
    joined, kept = _qualifying(since)
    points = (
        select(func.coalesce(func.sum(entry.c.points), 0))
        .select_from(joined)
        .where(entry.c.member_id == member_id, kept)
        .scalar_subquery()
    )
    better = tx.conn.execute(
        select(tier.c.id, tier.c.rank, points.label("points"))
        .where(
            tier.c.programme_id == current.programme_id,
            tier.c.rank > current.rank,
            tier.c.threshold <= points,
        )
        .order_by(tier.c.rank.desc())
        .limit(1)
    ).first()
    if better is None:
        return
    move(
        tx,
        current,
        better,
        reason="qualified",
        now=now,
        review_on=add_months(now, current.qualification_months),
        points=int(better.points),
    )
