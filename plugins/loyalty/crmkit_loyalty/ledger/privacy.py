"""What the ledger part holds on a party: moved to the survivor of a merge, exported, erased.

The ledger itself is never rewritten: a merge moves points with entries of its own, and an
erasure only unlinks the membership from the party (``party_id`` None), so that every total
still adds up while nothing in it names the person. A member closed by a merge keeps
``merged_into_id``, the survivor's membership: the survivor's export lists it and an erasure
of the survivor clears it too.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, or_, select, update

from crmkit import Transaction, utcnow
from crmkit_loyalty.ledger import entries, expiry, lots
from crmkit_loyalty.ledger.tables import entry, lot, member, redemption

MERGE = "merge"


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def move_to_survivor(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    """The merged party's memberships: re-pointed to the survivor in a programme where it has
    none; where it has one, the merged member's points move to it (lot by lot, keeping each
    lot's expiry) and the merged member is closed."""
    merged_members = tx.conn.execute(
        select(member.c.id, member.c.programme_id)
        .where(member.c.party_id == merged_id)
        .order_by(member.c.id)
    ).all()
    for merged in merged_members:
        kept = tx.conn.execute(
            select(member.c.id).where(
                member.c.programme_id == merged.programme_id, member.c.party_id == survivor_id
            )
        ).scalar_one_or_none()
        if kept is None:
            tx.conn.execute(
                update(member)
                .where(member.c.id == merged.id)
                .values(party_id=survivor_id, updated_at=utcnow())
            )
        else:
            _transfer(tx, merged.id, kept)


def _transfer(tx: Transaction, from_id: int, to_id: int) -> None:
    # Both rows locked, lower id first, as any other two-member change would take them.
    rows = {m: lots.lock_member(tx, m) for m in sorted((from_id, to_id))}
    now = utcnow()
    expiry.expire_member(tx, rows[from_id], now)
    moving = tx.conn.execute(
        select(lot.c.entry_id, lot.c.remaining, lot.c.expires_at)
        .where(lot.c.member_id == from_id, lot.c.remaining > 0)
        .order_by(lot.c.entry_id)
    ).all()
    moved = 0
    for item in moving:
        out = entries.append(
            tx,
            from_id,
            "adjust",
            -item.remaining,
            source=MERGE,
            reference=f"to:{to_id}:lot:{item.entry_id}",
            now=now,
            description=f"Moved to member {to_id}: the parties were merged",
        )
        into = entries.append(
            tx,
            to_id,
            "adjust",
            item.remaining,
            source=MERGE,
            reference=f"from:{from_id}:lot:{item.entry_id}",
            now=now,
            description=f"Moved from member {from_id}: the parties were merged",
            expires_at=item.expires_at,
        )
        assert out is not None and into is not None  # each lot is moved once: it is empty after
        lots.record(tx, out.id, [lots.Taken(item.entry_id, item.remaining)])
        lots.open_lot(tx, into.id, to_id, item.remaining, item.expires_at)
        moved += item.remaining
    lots.change_balance(tx, from_id, -moved, now)
    lots.change_balance(tx, to_id, moved, now)
    tx.conn.execute(
        update(member)
        .where(member.c.id == to_id)
        .values(lifetime_points=member.c.lifetime_points + rows[from_id].lifetime_points)
    )
    tx.conn.execute(
        update(member)
        .where(member.c.id == from_id)
        .values(status="closed", merged_into_id=to_id, updated_at=now, version=member.c.version + 1)
    )
    # Members closed into the merged one earlier follow it, so that one step always reaches them.
    tx.conn.execute(
        update(member).where(member.c.merged_into_id == from_id).values(merged_into_id=to_id)
    )


def _members_of(conn: Connection, party_id: int) -> list[int]:
    """The party's memberships and those closed into them by merges."""
    own = select(member.c.id).where(member.c.party_id == party_id)
    return list(
        conn.execute(
            select(member.c.id)
            .where(or_(member.c.id.in_(own), member.c.merged_into_id.in_(own)))
            .order_by(member.c.id)
        ).scalars()
    )


def export_of(conn: Connection, party_id: int) -> dict[str, Any]:
    """The party's memberships (with those closed into them by a merge), each with its ledger
    and redemptions."""
    rows = conn.execute(
        select(member).where(member.c.id.in_(_members_of(conn, party_id))).order_by(member.c.id)
    ).all()
    found = []
    for m in rows:
        ledger = conn.execute(
            select(entry).where(entry.c.member_id == m.id).order_by(entry.c.id)
        ).all()
        redeemed = conn.execute(
            select(redemption).where(redemption.c.member_id == m.id).order_by(redemption.c.id)
        ).all()
        found.append(
            {
                "number": m.number,
                "programme_id": m.programme_id,
                "status": m.status,
                "tier_id": m.tier_id,
                "tier_since": _iso(m.tier_since),
                "balance": m.balance,
                "lifetime_points": m.lifetime_points,
                "enrolled_at": _iso(m.enrolled_at),
                "entries": [
                    {
                        "kind": e.kind,
                        "points": e.points,
                        "source": e.source,
                        "reference": e.reference,
                        "description": e.description,
                        "expires_at": _iso(e.expires_at),
                        "created_at": _iso(e.created_at),
                    }
                    for e in ledger
                ],
                "redemptions": [
                    {
                        "reward_id": r.reward_id,
                        "points": r.points,
                        "status": r.status,
                        "reference": r.reference,
                        "note": r.note,
                        "created_at": _iso(r.created_at),
                    }
                    for r in redeemed
                ],
            }
        )
    return {"memberships": found}


def erase(tx: Transaction, party_id: int) -> None:
    """Unlink the party's memberships from it and clear their redemptions' notes (those of the
    memberships closed into them by a merge too); the ledger stays, anonymised, so that every
    balance and total holds."""
    ids = _members_of(tx.conn, party_id)
    if not ids:
        return
    tx.conn.execute(update(redemption).where(redemption.c.member_id.in_(ids)).values(note=None))
    tx.conn.execute(
        update(member).where(member.c.id.in_(ids)).values(party_id=None, updated_at=utcnow())
    )
