"""A manager's change of a member's tier, up or down, whatever their points: a goodwill
upgrade, a correction. It is recorded (reason ``manual``, who did it) and starts a new
qualification period: the member keeps the tier until its review."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from crmkit import (
    NotFound,
    Transaction,
    ValidationError,
    check_fields,
    read_id,
    seen_party,
    sees_every_party,
    utcnow,
)
from crmkit_loyalty.ledger.model import Member
from crmkit_loyalty.ledger.tables import member
from crmkit_loyalty.programmes.months import add_months
from crmkit_loyalty.programmes.records import conflict, required_version
from crmkit_loyalty.programmes.tables import tier
from crmkit_loyalty.programmes.tiers import member_with_tier, move


def seen_member(tx: Transaction, member_id: int) -> Any:
    """The member's row (as :func:`member_with_tier`) if ``tx.actor`` sees its party; an erased
    party's membership only to those who see every party. NotFound otherwise."""
    found = member_with_tier(tx.conn, member_id)
    if found.party_id is None:
        if not sees_every_party(tx.hooks, tx.actor):
            raise NotFound(f"member {member_id} does not exist")
        return found
    try:
        seen_party(tx.hooks, tx.conn, tx.actor, found.party_id)
    except NotFound:
        raise NotFound(f"member {member_id} does not exist") from None
    return found


def change_tier(tx: Transaction, member_id: int, data: Mapping[str, Any]) -> Member:
    """Put the member in the tier ``tier_id`` of its programme, if it is still at ``version``."""
    check_fields(data, ("tier_id", "version"))
    current = seen_member(tx, member_id)
    tier_id = read_id("tier_id", data.get("tier_id"))
    expected = required_version(data.get("version"))
    target = tx.conn.execute(
        select(tier.c.id, tier.c.rank).where(
            tier.c.id == tier_id, tier.c.programme_id == current.programme_id
        )
    ).first()
    if target is None:
        raise ValidationError("tier_id", f"the member's programme has no tier {tier_id}")
    if current.version != expected:
        raise conflict(f"member {member_id}", current.version)
    if target.id != current.tier_id:
        now = utcnow()
        review_on = None if target.rank == 0 else add_months(now, current.qualification_months)
        if not move(
            tx,
            current,
            target,
            reason="manual",
            now=now,
            review_on=review_on,
            points=None,
            version=expected,
        ):
            raise conflict(f"member {member_id}", current.version)
    row = tx.conn.execute(select(member).where(member.c.id == member_id)).one()
    return Member.of(row)
