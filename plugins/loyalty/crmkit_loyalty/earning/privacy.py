"""What the earning part holds on a party: referrals of it (and those its memberships made),
moved to the survivor of a merge, exported, erased."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, or_, select, update

from crmkit import Transaction, forget_event_payloads
from crmkit_loyalty.earning.event_types import REFERRAL_ENTITY
from crmkit_loyalty.earning.tables import referral
from crmkit_loyalty.ledger.tables import member


def _detach(tx: Transaction, referral_ids: list[int]) -> None:
    """The referrals no longer name their party; pending ones will never be rewarded."""
    if not referral_ids:
        return
    _cancel(tx, referral_ids)
    tx.conn.execute(
        update(referral).where(referral.c.id.in_(referral_ids)).values(referred_party_id=None)
    )


def _cancel(tx: Transaction, referral_ids: list[int]) -> None:
    if referral_ids:
        tx.conn.execute(
            update(referral)
            .where(referral.c.id.in_(referral_ids), referral.c.status == "pending")
            .values(status="cancelled")
        )


def _move_made(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    """Referrals made by the merged party's memberships in a programme where the survivor is a
    member go to the survivor's membership (the ledger part closes the merged one next); one
    of the survivor itself will never be rewarded. Where the survivor has no membership, the
    merged one becomes its own and keeps its referrals."""
    kept = member.alias("kept")
    rows = tx.conn.execute(
        select(referral.c.id, referral.c.referred_party_id, kept.c.id.label("kept_id"))
        .join(member, member.c.id == referral.c.member_id)
        .outerjoin(
            kept, (kept.c.programme_id == member.c.programme_id) & (kept.c.party_id == survivor_id)
        )
        .where(member.c.party_id == merged_id)
        .order_by(referral.c.id)
    ).all()
    _cancel(tx, [r.id for r in rows if r.referred_party_id == survivor_id])
    for r in rows:
        if r.kept_id is None or r.referred_party_id == survivor_id:
            continue
        clash = tx.conn.execute(
            select(referral.c.id).where(
                referral.c.member_id == r.kept_id,
                referral.c.referred_party_id == r.referred_party_id,
            )
        ).first()
        if clash is None:
            tx.conn.execute(
                update(referral).where(referral.c.id == r.id).values(member_id=r.kept_id)
            )
        else:
            _cancel(tx, [r.id])


def move_to_survivor(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    """The merged party's referrals become the survivor's, except where the survivor was
    referred in that programme already or would be its own referrer: those are detached.
    Referrals its memberships made move with its points (``_move_made``)."""
    _move_made(tx, survivor_id, merged_id)
    taken = (
        select(member.c.programme_id)
        .join(referral, referral.c.member_id == member.c.id)
        .where(referral.c.referred_party_id == survivor_id)
    )
    rows = tx.conn.execute(
        select(referral.c.id, member.c.programme_id, member.c.party_id)
        .join(member, member.c.id == referral.c.member_id)
        .where(referral.c.referred_party_id == merged_id)
    ).all()
    clashing = {r.programme_id for r in tx.conn.execute(taken)}
    detached = [
        r.id for r in rows if r.programme_id in clashing or r.party_id in (survivor_id, merged_id)
    ]
    _detach(tx, detached)
    moved = [r.id for r in rows if r.id not in detached]
    if moved:
        tx.conn.execute(
            update(referral).where(referral.c.id.in_(moved)).values(referred_party_id=survivor_id)
        )


def _plain(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "programme_id": row.programme_id,
        "status": row.status,
        "created_at": row.created_at.isoformat(),
        "rewarded_at": None if row.rewarded_at is None else row.rewarded_at.isoformat(),
    }


def export_of(conn: Connection, party_id: int) -> dict[str, Any]:
    """The referrals of the party, and those its memberships made, without naming the other
    party (theirs is their own data)."""
    columns = (
        referral.c.id,
        member.c.programme_id,
        referral.c.status,
        referral.c.created_at,
        referral.c.rewarded_at,
    )
    joined = select(*columns).join(member, member.c.id == referral.c.member_id)
    referred = conn.execute(
        joined.where(referral.c.referred_party_id == party_id).order_by(referral.c.id)
    )
    made = conn.execute(joined.where(member.c.party_id == party_id).order_by(referral.c.id))
    return {
        "referred": [_plain(r) for r in referred],
        "referrals_made": [_plain(r) for r in made],
    }


def erase(tx: Transaction, party_id: int) -> None:
    """Referrals of the party no longer name it, and pending ones of it or by it are cancelled
    (an erased referrer is rewarded for nothing); the events about any referral of it or by it
    keep only their id."""
    ids = list(
        tx.conn.execute(
            select(referral.c.id)
            .join(member, member.c.id == referral.c.member_id)
            .where(or_(referral.c.referred_party_id == party_id, member.c.party_id == party_id))
        ).scalars()
    )
    referred = list(
        tx.conn.execute(
            select(referral.c.id).where(referral.c.referred_party_id == party_id)
        ).scalars()
    )
    _detach(tx, referred)
    _cancel(tx, ids)
    forget_event_payloads(tx, REFERRAL_ENTITY, ids)
