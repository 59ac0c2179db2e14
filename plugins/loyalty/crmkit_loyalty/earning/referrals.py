"""Referrals: a member brought a new party, and earns once it becomes a customer (owned by the
earning part; docs/earning.md#referrals).

A referral is recorded for a prospect, or for a customer who has not ordered yet, once per
programme. It is concluded when the prospect is converted (``prospect_converted``, in the
conversion's transaction) or when the customer's first order after it is placed (the sfa
plugin's ``sfa.order_placed``): ``rewarded`` with the programme's referral rule, else
``cancelled``. Concluding claims the row with a conditional update, so that the conversion
and the order, or an event delivered twice, reward it once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, exists, insert, select, update

from crmkit import (
    ConflictError,
    NotFound,
    Transaction,
    ValidationError,
    check_fields,
    read_id,
    seen_party,
    seen_party_ids,
    sees_every_party,
    utcnow,
)
from crmkit_loyalty.earning.event_types import REFERRAL_ENTITY
from crmkit_loyalty.earning.members import lock, multiplied, multiplier_of, under_cap
from crmkit_loyalty.earning.model import Referral
from crmkit_loyalty.earning.tables import referral
from crmkit_loyalty.ledger import service as ledger
from crmkit_loyalty.ledger.tables import member
from crmkit_loyalty.programmes.service import active_rules

SOURCE = "referral"
FIELDS = ("member_id", "party_id")

_columns = (*referral.c, member.c.programme_id)


def _visible_member(tx: Transaction, member_id: int, field: str | None) -> Any:
    """The member's row if ``tx.actor`` sees its party; else NotFound, or a refusal naming
    ``field`` when the id came in a request body."""
    row = tx.conn.execute(select(member).where(member.c.id == member_id)).first()
    try:
        if row is None or row.party_id is None:
            raise NotFound("")
        seen_party(tx.hooks, tx.conn, tx.actor, row.party_id)
    except NotFound:
        message = f"member {member_id} does not exist"
        raise (ValidationError(field, message) if field else NotFound(message)) from None
    return row


def _has_ordered(tx: Transaction, party_id: int) -> bool:
    if "sfa" not in tx.hooks.loaded:
        return False
    from crmkit_sfa import order_table as order

    return bool(tx.conn.execute(select(exists().where(order.c.party_id == party_id))).scalar())


def record_referral(tx: Transaction, data: Mapping[str, Any]) -> Referral:
    """Record that member ``member_id`` referred party ``party_id``: a prospect or a customer
    who has not ordered yet, whom ``tx.actor`` sees, not the member, not a member of the
    programme already, and referred by nobody else in it."""
    check_fields(data, FIELDS)
    member_id = read_id("member_id", data.get("member_id"))
    party_id = read_id("party_id", data.get("party_id"))
    referrer = _visible_member(tx, member_id, "member_id")
    if referrer.status != "active":
        raise ConflictError(f"member {member_id} is {referrer.status}: only active members refer")
    try:
        referred = seen_party(tx.hooks, tx.conn, tx.actor, party_id)
    except NotFound as exc:
        raise ValidationError("party_id", exc.message) from None
    if party_id == referrer.party_id:
        raise ValidationError("party_id", "is the member: a member cannot refer themselves")
    if referred.role == "customer" and _has_ordered(tx, party_id):
        raise ValidationError(
            "party_id", "is a customer who has ordered already: refer prospects and new customers"
        )
    programme_id = referrer.programme_id
    if ledger.member_of(tx.conn, programme_id, party_id) is not None:
        raise ValidationError("party_id", "is a member of the programme already")
    # Two members referring one party at once: the second waits and finds the first's row.
    tx.hold(f"loyalty.referral.{programme_id}.{party_id}")
    earlier = tx.conn.execute(
        select(referral.c.id)
        .join(member, member.c.id == referral.c.member_id)
        .where(member.c.programme_id == programme_id, referral.c.referred_party_id == party_id)
    ).scalar()
    if earlier is not None:
        raise ConflictError(
            f"party {party_id} was referred in this programme already (referral {earlier})"
        )
    now = utcnow()
    referral_id = tx.conn.execute(
        insert(referral)
        .values(
            member_id=member_id,
            referred_party_id=party_id,
            status="pending",
            created_by=tx.actor.user_id,
            created_at=now,
        )
        .returning(referral.c.id)
    ).scalar_one()
    tx.emit(
        "loyalty.referral_recorded",
        REFERRAL_ENTITY,
        referral_id,
        {
            "member_id": member_id,
            "programme_id": programme_id,
            "party_id": referrer.party_id,
            "referred_party_id": party_id,
        },
    )
    return get_referral(tx.conn, referral_id)


def get_referral(conn: Connection, referral_id: int) -> Referral:
    row = conn.execute(
        select(*_columns)
        .join(member, member.c.id == referral.c.member_id)
        .where(referral.c.id == referral_id)
    ).first()
    if row is None:
        raise NotFound(f"referral {referral_id} does not exist")
    return Referral.of(row)


def referrals_of(tx: Transaction, member_id: int) -> list[Referral]:
    """The member's referrals, newest first, of the parties ``tx.actor`` sees; NotFound for a
    member whose party the actor does not see."""
    _visible_member(tx, member_id, None)
    query = (
        select(*_columns)
        .join(member, member.c.id == referral.c.member_id)
        .where(referral.c.member_id == member_id)
        .order_by(referral.c.id.desc())
    )
    if not sees_every_party(tx.hooks, tx.actor):
        shown: ColumnElement[bool] = referral.c.referred_party_id.in_(
            seen_party_ids(tx.hooks, tx.actor)
        )
        query = query.where(shown)
    return [Referral.of(row) for row in tx.conn.execute(query)]


def conclude(tx: Transaction, found: Referral, now: datetime) -> bool:
    """Reward the pending referral under its programme's referral rule (at most the rule's
    ``max_per_party_per_year`` referral rewards a year), or cancel it when no rule, an inactive
    member or the cap leaves nothing to reward; whether it was rewarded. A referral concluded
    already is left as it is."""
    claimed = tx.conn.execute(
        update(referral)
        .where(referral.c.id == found.id, referral.c.status == "pending")
        .values(status="rewarded", rewarded_at=now)
    )
    if claimed.rowcount != 1:
        return False
    rule = next(iter(active_rules(tx.conn, found.programme_id, "referral", now.date())), None)
    lock(tx, found.member_id)
    referrer = tx.conn.execute(select(member).where(member.c.id == found.member_id)).one()
    points = 0
    if (
        rule is not None
        and rule.points is not None
        and referrer.status == "active"
        and under_cap(tx, found.member_id, SOURCE, rule.max_per_party_per_year, now)
    ):
        points = multiplied(rule.points, multiplier_of(tx, referrer.tier_id))
        earned = ledger.earn(
            tx,
            found.member_id,
            points,
            source=SOURCE,
            reference=str(found.id),
            rule_id=rule.id,
            description="Referral",
            details={"referral_id": found.id, "referred_party_id": found.referred_party_id},
        )
        points = 0 if earned is None else points
    rewarded = points > 0
    if not rewarded:
        tx.conn.execute(
            update(referral)
            .where(referral.c.id == found.id)
            .values(status="cancelled", rewarded_at=None)
        )
    tx.emit(
        "loyalty.referral_concluded",
        REFERRAL_ENTITY,
        found.id,
        {
            "member_id": found.member_id,
            "programme_id": found.programme_id,
            "party_id": referrer.party_id,
            "referred_party_id": found.referred_party_id,
            "status": "rewarded" if rewarded else "cancelled",
            "points": points,
        },
    )
    return rewarded


def pending_of(conn: Connection, party_id: int, before: datetime | None = None) -> list[Referral]:
    """The pending referrals of the party (made before ``before``, when given), oldest first."""
    query = (
        select(*_columns)
        .join(member, member.c.id == referral.c.member_id)
        .where(referral.c.referred_party_id == party_id, referral.c.status == "pending")
        .order_by(referral.c.id)
    )
    if before is not None:
        query = query.where(referral.c.created_at <= before)
    return [Referral.of(row) for row in conn.execute(query)]


def conclude_for(tx: Transaction, party_id: int, before: datetime | None = None) -> int:
    """Conclude the party's pending referrals; how many were rewarded."""
    now = utcnow()
    return sum(conclude(tx, found, now) for found in pending_of(tx.conn, party_id, before))


def conclude_for_order(tx: Transaction, order_id: int) -> int:
    """Conclude the referrals of the order's customer made before it was placed: a customer
    referred before their first order (a prospect's referral is concluded at its conversion,
    which winning the order's opportunity does first)."""
    from crmkit_sfa import order_table as order

    placed = tx.conn.execute(
        select(order.c.party_id, order.c.placed_at).where(order.c.id == order_id)
    ).first()
    if placed is None:
        return 0
    return conclude_for(tx, placed.party_id, placed.placed_at)


def prospect_converted(tx: Transaction, customer: Any) -> None:
    """Reward the members who referred ``customer``, under the referral rule of their programme."""
    conclude_for(tx, customer.id)
