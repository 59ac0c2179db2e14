"""Redemptions: points spent on a reward or as an amount, first in, first out; and cancelled.

Everything happens under the member's row lock, taken first: the balance read there is the
one the redemption is decided on, so concurrent redemptions of one member take turns and
the balance never goes below zero. A redemption's ``reference`` is its idempotency key: a
retried request gets the first redemption back; the same key for another body is a conflict.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from crmkit import ConflictError, NotFound, Transaction, ValidationError, utcnow
from crmkit_loyalty.ledger import entries, expiry, lots
from crmkit_loyalty.ledger.model import Redemption
from crmkit_loyalty.ledger.service import check_points
from crmkit_loyalty.ledger.tables import allocation, lot, redemption
from crmkit_loyalty.programmes.tables import reward, tier

_BY_REFERENCE = select(redemption).where(
    redemption.c.member_id == bindparam("member_id"),
    redemption.c.reference == bindparam("reference"),
)
_INSERT = insert(redemption).returning(*redemption.c)
# Built once: building a statement costs more than running it.

NOTE_LIMIT = 2000
REFERENCE_LIMIT = 200


def _reward_for(tx: Transaction, row: Any, reward_id: int) -> Any:
    found = tx.conn.execute(
        select(reward).where(reward.c.id == reward_id, reward.c.programme_id == row.programme_id)
    ).one_or_none()
    if found is None:
        raise ValidationError("reward_id", f"reward {reward_id} does not exist in this programme")
    if not found.active:
        raise ValidationError("reward_id", f"reward {reward_id} is not offered any more")
    rank = tx.conn.execute(select(tier.c.rank).where(tier.c.id == row.tier_id)).scalar_one()
    if rank < found.min_tier_rank:
        raise ConflictError(
            f"reward {reward_id} is for members of tier rank {found.min_tier_rank} and above;"
            f" this member's tier is rank {rank}"
        )
    return found


def _take_stock(tx: Transaction, reward_id: int) -> None:
    taken = tx.conn.execute(
        update(reward)
        .where(reward.c.id == reward_id, reward.c.stock.is_(None) | (reward.c.stock > 0))
        .values(stock=reward.c.stock - 1)
    )
    if taken.rowcount != 1:
        raise ConflictError(f"reward {reward_id} is out of stock")


def _check_reference(reference: Any) -> str:
    if not isinstance(reference, str) or not reference.strip():
        raise ValidationError("reference", "is required: a key of your own, unique per redemption")
    if len(reference) > REFERENCE_LIMIT:
        raise ValidationError("reference", f"must be at most {REFERENCE_LIMIT} characters")
    return reference


def _repeat(found: Any, reward_id: int | None, points: int | None, note: str | None) -> Redemption:
    same = (
        found.reward_id == reward_id
        and (points is None or found.points == points)
        and found.note == note
    )
    if not same:
        raise ConflictError(
            f"reference {found.reference!r} was used for another redemption ({found.id})"
        )
    return Redemption.of(found)


def redeem(
    tx: Transaction,
    member_id: int,
    *,
    reward_id: int | None = None,
    points: int | None = None,
    reference: str,
    note: str | None = None,
) -> Redemption:
    """Spend ``points`` of the member, or the points of ``reward_id`` (see :func:`redeem_once`)."""
    made, _ = redeem_once(
        tx, member_id, reward_id=reward_id, points=points, reference=reference, note=note
    )
    return made


def redeem_once(
    tx: Transaction,
    member_id: int,
    *,
    reward_id: int | None = None,
    points: int | None = None,
    reference: str,
    note: str | None = None,
) -> tuple[Redemption, bool]:
    """Spend ``points`` of the member, or the points of ``reward_id``: a ``redeem`` entry,
    allocations over the member's lots (soonest expiry first), the balance, the reward's
    stock and the redemption, and True. The redemption already made with ``reference`` and
    False when it is the same request again. The caller has checked who may see the member's
    party."""
    _check_reference(reference)
    if points is not None:
        check_points("points", points)
    if reward_id is None and points is None:
        raise ValidationError("points", "give a reward_id or an amount of points")
    if note is not None and len(note) > NOTE_LIMIT:
        raise ValidationError("note", f"must be at most {NOTE_LIMIT} characters")
    row = lots.lock_member(tx, member_id)
    found = tx.conn.execute(
        _BY_REFERENCE, {"member_id": member_id, "reference": reference}
    ).one_or_none()
    if found is not None:
        return _repeat(found, reward_id, points, note), False
    if row.status != "active":
        raise ConflictError(f"member {member_id} is {row.status}: it redeems nothing")
    chosen = None
    if reward_id is not None:
        chosen = _reward_for(tx, row, reward_id)
        if points is not None and points != chosen.points:
            raise ValidationError("points", f"reward {reward_id} costs {chosen.points} points")
        points = int(chosen.points)
    assert points is not None
    now = utcnow()
    # The row is locked: its balance is the balance, less what has just expired.
    available = row.balance - expiry.expire_member(tx, row, now)
    if available < points:
        raise ConflictError(f"only {available} points: {points} cannot be redeemed")
    if reward_id is not None:
        _take_stock(tx, reward_id)
    made = entries.append(
        tx,
        member_id,
        "redeem",
        -points,
        source="redemption",
        reference=reference,
        now=now,
        # Not the note: it may name the person, and entries are never changed, not even by an
        # erasure, which clears the redemption's note instead.
        description=None if chosen is None else f"Reward: {chosen.name}",
        details=None if reward_id is None else {"reward_id": reward_id},
    )
    if made is None:
        raise ConflictError(f"reference {reference!r} was used for another entry of this member")
    lots.record(tx, made.id, lots.first_in_first_out(tx.conn, member_id, points, now))
    after = lots.change_balance(tx, member_id, -points, now)
    made_row = tx.conn.execute(
        _INSERT,
        {
            "member_id": member_id,
            "reward_id": reward_id,
            "points": points,
            "status": "completed",
            "entry_id": made.id,
            "reference": reference,
            "note": note,
            "created_by": tx.actor.user_id,
            "created_at": now,
        },
    ).one()
    redemption_id = made_row.id
    tx.emit(
        "loyalty.points_redeemed",
        "loyalty.member",
        member_id,
        {
            "member_id": member_id,
            "party_id": row.party_id,
            "programme_id": row.programme_id,
            "redemption_id": redemption_id,
            "reward_id": reward_id,
            "points": points,
            "balance": after,
            "status": "completed",
        },
    )
    return Redemption.of(made_row), True


def get_redemption(conn: Connection, redemption_id: int) -> Redemption:
    row = conn.execute(select(redemption).where(redemption.c.id == redemption_id)).one_or_none()
    if row is None:
        raise NotFound(f"redemption {redemption_id} does not exist")
    return Redemption.of(row)


def cancel(tx: Transaction, redemption_id: int) -> Redemption:
    """Give a redemption's points back to the lots they came from (a ``reverse`` entry whose
    allocations are negative), and the reward's stock; once only. Points that came from a lot
    which has expired since are not given back: they would have expired had they not been
    spent. The caller has checked who may see the member's party."""
    found = get_redemption(tx.conn, redemption_id)
    row = lots.lock_member(tx, found.member_id)
    status = tx.conn.execute(
        select(redemption.c.status).where(redemption.c.id == redemption_id)
    ).scalar_one()
    if status == "cancelled":
        raise ConflictError(f"redemption {redemption_id} is cancelled already")
    if row.status == "closed":
        raise ConflictError(f"member {found.member_id} is closed: its points cannot change")
    now = utcnow()
    spent = tx.conn.execute(
        select(allocation.c.lot_id, allocation.c.points, lot.c.expires_at)
        .join(lot, lot.c.entry_id == allocation.c.lot_id)
        .where(allocation.c.entry_id == found.entry_id)
        .order_by(allocation.c.id)
    ).all()
    back = [
        lots.Taken(s.lot_id, -s.points) for s in spent if s.expires_at is None or s.expires_at > now
    ]
    returned = -sum(t.points for t in back)
    made = entries.append(
        tx,
        found.member_id,
        "reverse",
        returned,
        source="reversal",
        reference=str(found.entry_id),
        now=now,
        description=f"Redemption {redemption_id} cancelled",
        details={"redemption_id": redemption_id, "forfeited": found.points - returned},
        reverses_id=found.entry_id,
    )
    if made is None:
        raise ConflictError(f"redemption {redemption_id} is cancelled already")
    lots.record(tx, made.id, back)
    after = lots.change_balance(tx, found.member_id, returned, now)
    if found.reward_id is not None:
        tx.conn.execute(
            update(reward)
            .where(reward.c.id == found.reward_id, reward.c.stock.is_not(None))
            .values(stock=reward.c.stock + 1)
        )
    tx.conn.execute(
        update(redemption).where(redemption.c.id == redemption_id).values(status="cancelled")
    )
    tx.emit(
        "loyalty.points_redeemed",
        "loyalty.member",
        found.member_id,
        {
            "member_id": found.member_id,
            "party_id": row.party_id,
            "programme_id": row.programme_id,
            "redemption_id": redemption_id,
            "reward_id": found.reward_id,
            "points": -returned,
            "balance": after,
            "status": "cancelled",
        },
    )
    return get_redemption(tx.conn, redemption_id)
