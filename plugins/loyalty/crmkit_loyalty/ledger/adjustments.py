"""Manual adjustments: points given or taken by hand, always with a reason.

A positive adjustment is a lot of its own, expiring as the programme's earnings do; a
negative one is spent from the lots first in, first out, as a redemption is, and cannot take
the balance below zero. An optional key makes a retried request record it once.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from crmkit import ConflictError, Transaction, ValidationError, utcnow
from crmkit_loyalty.ledger import entries, expiry, lots
from crmkit_loyalty.ledger.model import Entry
from crmkit_loyalty.ledger.service import MAX_POINTS
from crmkit_loyalty.ledger.tables import member

REASON_LIMIT = 500
KEY_LIMIT = 200
SOURCE = "adjustment"


def _check(points: object, reason: object, key: object) -> tuple[int, str, str | None]:
    if isinstance(points, bool) or not isinstance(points, int):
        raise ValidationError("points", "must be a whole number")
    if points == 0 or abs(points) > MAX_POINTS:
        raise ValidationError(
            "points", f"must be a number of points from 1 to {MAX_POINTS}, signed"
        )
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError("reason", "is required: say why the points change")
    if len(reason) > REASON_LIMIT:
        raise ValidationError("reason", f"must be at most {REASON_LIMIT} characters")
    if key is not None and (not isinstance(key, str) or not key or len(key) > KEY_LIMIT):
        raise ValidationError("key", f"must be text of 1 to {KEY_LIMIT} characters")
    return points, reason.strip(), key


def adjust(
    tx: Transaction, member_id: int, points: int, *, reason: str, key: str | None = None
) -> Entry:
    """Add (positive) or take (negative) ``points``: an ``adjust`` entry with the reason. The
    entry already recorded with ``key`` when it is the same request again; the caller has
    checked ``loyalty:ledger.adjust`` and who may see the member's party."""
    return adjust_once(tx, member_id, points, reason=reason, key=key)[0]


def adjust_once(
    tx: Transaction, member_id: int, points: int, *, reason: str, key: str | None = None
) -> tuple[Entry, bool]:
    """As ``adjust``, and whether this call recorded it (False: the same request again)."""
    points, reason, key = _check(points, reason, key)
    row = lots.lock_member(tx, member_id)
    if key is not None:
        found = entries.find(tx.conn, member_id, SOURCE, key)
        if found is not None:
            if found.points != points or found.description != reason:
                raise ConflictError(f"key {key!r} was used for another adjustment ({found.id})")
            return found, False
    if row.status != "active":
        raise ConflictError(f"member {member_id} is {row.status}: its points cannot change")
    now = utcnow()
    if points < 0:
        expiry.expire_member(tx, row, now)
        available = int(
            tx.conn.execute(select(member.c.balance).where(member.c.id == member_id)).scalar_one()
        )
        if available < -points:
            raise ConflictError(f"only {available} points: {-points} cannot be taken")
    expires_at = lots.expiry_for(tx, row.programme_id, now) if points > 0 else None
    made = entries.append(
        tx,
        member_id,
        "adjust",
        points,
        source=SOURCE,
        reference=key or uuid.uuid4().hex,
        now=now,
        description=reason,
        expires_at=expires_at,
    )
    assert made is not None  # a key found above returned; a fresh one is unique
    if points > 0:
        lots.open_lot(tx, made.id, member_id, points, expires_at)
    else:
        lots.record(tx, made.id, lots.first_in_first_out(tx.conn, member_id, -points, now))
    balance = lots.change_balance(tx, member_id, points, now)
    tx.emit(
        "loyalty.points_adjusted",
        "loyalty.member",
        member_id,
        {
            "member_id": member_id,
            "party_id": row.party_id,
            "programme_id": row.programme_id,
            "entry_id": made.id,
            "points": points,
            "balance": balance,
        },
    )
    return made, True
