"""The earning part's demo data: referrals (pending and rewarded) and, when the sfa plugin is
loaded, the points the demo's orders earned their members.

It reads what the other parts seeded (programmes, rules, members) and writes as a restore
would, with bulk inserts: each earning is an entry, its lot and the member's balance, so that
the ledger balances as if the orders and conversions had happened. Members are not enrolled
here: orders of parties who are no members earn nothing. The demo's earnings take no tier
multiplier (the tier a member had on an old order's day is not known here); once they are in,
members move up to the tiers their qualifying points reach, as ``requalify`` would have moved
them, each with its review date.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from crmkit import Crm, party_table
from crmkit_loyalty.earning.order_earning import SOURCE as ORDER_SOURCE
from crmkit_loyalty.earning.order_earning import OrderLine, order_points
from crmkit_loyalty.earning.referrals import SOURCE as REFERRAL_SOURCE
from crmkit_loyalty.earning.tables import referral
from crmkit_loyalty.ledger.tables import entry, lot, member, tier_change
from crmkit_loyalty.programmes.model import Programme
from crmkit_loyalty.programmes.months import add_months
from crmkit_loyalty.programmes.service import active_programmes, active_rules
from crmkit_loyalty.programmes.tables import tier
from crmkit_loyalty.programmes.tiers import qualifying_points_of

REFERRERS = 6
"""Members per programme who referred someone."""


def seed(app: Crm, conn: Connection, rng: random.Random, now: datetime) -> None:
    programmes = {p.id: p for p in active_programmes(conn)}
    if not programmes:
        return
    members = conn.execute(
        select(member.c.id, member.c.programme_id, member.c.party_id, member.c.enrolled_at)
        .where(
            member.c.status == "active",
            member.c.party_id.is_not(None),
            member.c.programme_id.in_(programmes),
        )
        .order_by(member.c.id)
    ).all()
    if not members:
        return
    credits: list[dict[str, Any]] = []
    if "sfa" in app.host.loaded:
        credits += _order_credits(conn, programmes, members, now)
    credits += _referrals(conn, rng, programmes, members, now)
    _credit(conn, programmes, credits, now)
    for programme in programmes.values():
        _settle_tiers(conn, programme, now)


def _order_credits(
    conn: Connection, programmes: dict[int, Programme], members: Sequence[Any], now: datetime
) -> list[dict[str, Any]]:
    """An earning for each order of a member placed in their programme's currency after they
    enrolled, under the rules of the day it was placed, unless its points have expired."""
    from crmkit_sfa import order_line_table as order_line
    from crmkit_sfa import order_table as order

    by_party: dict[int, list[Any]] = defaultdict(list)
    for row in members:
        by_party[row.party_id].append(row)
    orders = conn.execute(
        select(order.c.id, order.c.number, order.c.party_id, order.c.currency, order.c.placed_at)
        .where(order.c.party_id.in_(by_party))
        .order_by(order.c.id)
    ).all()
    lines: dict[int, list[OrderLine]] = defaultdict(list)
    for line in conn.execute(
        select(order_line.c.order_id, order_line.c.product_group, order_line.c.net).where(
            order_line.c.order_id.in_([o.id for o in orders])
        )
    ):
        lines[line.order_id].append(OrderLine(line.product_group, Decimal(line.net)))
    credits = []
    for placed in orders:
        for joined in by_party[placed.party_id]:
            programme = programmes[joined.programme_id]
            if programme.currency != placed.currency or placed.placed_at < joined.enrolled_at:
                continue
            on = placed.placed_at.date()
            computed = order_points(
                lines[placed.id],
                active_rules(conn, programme.id, "spend", on),
                active_rules(conn, programme.id, "product_group", on),
                Decimal(1),
            )
            if computed.points > 0:
                credits.append(
                    {
                        "member_id": joined.id,
                        "programme_id": programme.id,
                        "points": computed.points,
                        "source": ORDER_SOURCE,
                        "reference": str(placed.id),
                        "rule_id": None,
                        "description": f"Order {placed.number}",
                        "details": computed.details(placed.number, placed.currency),
                        "created_at": placed.placed_at,
                    }
                )
    return credits


def _referrals(
    conn: Connection,
    rng: random.Random,
    programmes: dict[int, Programme],
    members: Sequence[Any],
    now: datetime,
) -> list[dict[str, Any]]:
    """A few members per programme referred someone: a prospect (pending) or, where the
    programme rewards referrals, a customer who has since converted (rewarded)."""
    parties = conn.execute(
        select(party_table.c.id, party_table.c.role).order_by(party_table.c.id)
    ).all()
    prospects = [p.id for p in parties if p.role == "prospect"]
    customers = [p.id for p in parties if p.role == "customer"]
    credits: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for programme_id in programmes:
        joined = [m for m in members if m.programme_id == programme_id]
        taken = {m.party_id for m in joined}
        rule = next(iter(active_rules(conn, programme_id, "referral", now.date())), None)
        for referrer in rng.sample(joined, min(REFERRERS, len(joined))):
            rewarded = rule is not None and rule.points is not None and rng.random() < 0.5
            pool = [p for p in (customers if rewarded else prospects) if p not in taken]
            if not pool:
                continue
            referred = rng.choice(pool)
            taken.add(referred)
            made_at = now - timedelta(days=rng.randint(3, 60), hours=rng.randint(0, 23))
            rewarded_at = made_at + timedelta(days=rng.randint(1, 3)) if rewarded else None
            rows.append(
                {
                    "member_id": referrer.id,
                    "referred_party_id": referred,
                    "status": "rewarded" if rewarded else "pending",
                    "created_by": None,
                    "created_at": made_at,
                    "rewarded_at": rewarded_at,
                }
            )
    if not rows:
        return credits
    ids = conn.execute(
        insert(referral).returning(referral.c.id, sort_by_parameter_order=True), rows
    ).scalars()
    for referral_id, row in zip(ids, rows, strict=True):
        if row["status"] != "rewarded":
            continue
        referrer = next(m for m in members if m.id == row["member_id"])
        rule = active_rules(conn, referrer.programme_id, "referral", now.date())[0]
        assert rule.points is not None
        credits.append(
            {
                "member_id": referrer.id,
                "programme_id": referrer.programme_id,
                "points": rule.points,
                "source": REFERRAL_SOURCE,
                "reference": str(referral_id),
                "rule_id": rule.id,
                "description": "Referral",
                "details": {
                    "referral_id": referral_id,
                    "referred_party_id": row["referred_party_id"],
                },
                "created_at": row["rewarded_at"],
            }
        )
    return credits


def _credit(
    conn: Connection, programmes: dict[int, Programme], credits: list[dict[str, Any]], now: datetime
) -> None:
    """The earnings as entries, each with its lot, and the members' balances with them; an
    earning whose points have expired by now is left out (the demo's ledger has no expiry
    entries of its own)."""
    kept = []
    for credit in credits:
        months = programmes[credit["programme_id"]].points_expire_months
        expires_at = None if months is None else add_months(credit["created_at"], months)
        if expires_at is None or expires_at > now:
            kept.append({**credit, "expires_at": expires_at})
    if not kept:
        return
    entry_rows = [
        {
            "member_id": c["member_id"],
            "kind": "earn",
            "points": c["points"],
            "source": c["source"],
            "reference": c["reference"],
            "rule_id": c["rule_id"],
            "description": c["description"],
            "details": c["details"],
            "expires_at": c["expires_at"],
            "reverses_id": None,
            "created_by": None,
            "created_at": c["created_at"],
        }
        for c in kept
    ]
    entry_ids = conn.execute(
        insert(entry).returning(entry.c.id, sort_by_parameter_order=True), entry_rows
    ).scalars()
    conn.execute(
        insert(lot),
        [
            {
                "entry_id": entry_id,
                "member_id": c["member_id"],
                "remaining": c["points"],
                "expires_at": c["expires_at"],
            }
            for entry_id, c in zip(entry_ids, kept, strict=True)
        ],
    )
    totals: dict[int, int] = defaultdict(int)
    for c in kept:
        totals[c["member_id"]] += c["points"]
    conn.execute(
        update(member)
        .where(member.c.id == bindparam("member"))
        .values(
            balance=member.c.balance + bindparam("points"),
            lifetime_points=member.c.lifetime_points + bindparam("points"),
        ),
        [{"member": member_id, "points": points} for member_id, points in totals.items()],
    )


def _settle_tiers(conn: Connection, programme: Programme, now: datetime) -> None:
    """Move each member up to the highest tier its qualifying points now reach (from the day
    of its last earning), and give every member above the entry tier its review date."""
    ladder = conn.execute(
        select(tier.c.id, tier.c.rank, tier.c.threshold)
        .where(tier.c.programme_id == programme.id)
        .order_by(tier.c.rank)
    ).all()
    rows = conn.execute(
        select(member.c.id, member.c.tier_id, member.c.tier_since)
        .where(member.c.programme_id == programme.id, member.c.status == "active")
        .order_by(member.c.id)
    ).all()
    if not ladder or not rows:
        return
    rank = {t.id: t.rank for t in ladder}
    since = add_months(now, -programme.qualification_months)
    points = qualifying_points_of(conn, [r.id for r in rows], since)
    last_earned = dict(
        conn.execute(
            select(entry.c.member_id, func.max(entry.c.created_at))
            .where(entry.c.member_id.in_(points), entry.c.kind == "earn")
            .group_by(entry.c.member_id)
        ).all()
    )
    changes, updates = [], []
    for row in rows:
        reached = [t for t in ladder if t.threshold <= points[row.id]][-1]
        tier_id, tier_since = row.tier_id, row.tier_since
        if reached.rank > rank[row.tier_id]:
            tier_id, tier_since = reached.id, max(row.tier_since, last_earned[row.id])
            changes.append(
                {
                    "member_id": row.id,
                    "from_tier_id": row.tier_id,
                    "to_tier_id": tier_id,
                    "reason": "qualified",
                    "changed_by": None,
                    "changed_at": tier_since,
                }
            )
        review_on = None
        if rank[tier_id] > 0:
            review_on = add_months(tier_since, programme.qualification_months)
        updates.append({"m": row.id, "t": tier_id, "s": tier_since, "r": review_on})
    conn.execute(
        update(member)
        .where(member.c.id == bindparam("m"))
        .values(tier_id=bindparam("t"), tier_since=bindparam("s"), tier_review_on=bindparam("r")),
        updates,
    )
    if changes:
        conn.execute(insert(tier_change), changes)
