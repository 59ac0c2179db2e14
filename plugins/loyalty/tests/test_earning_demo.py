"""The earning part of the demo: referrals pending and rewarded, and the demo's orders earned
by their members, in a ledger that still balances."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmkit_loyalty.earning.tables import referral
from crmkit_loyalty.ledger.check import mismatches
from crmkit_loyalty.ledger.tables import entry, member
from crmkit_loyalty.programmes.tables import programme
from crmkit_sfa import order_table
from sqlalchemy import select

from crmkit import party_table, utcnow
from crmkit.testing import seed_demo_data

if TYPE_CHECKING:
    from conftest import LoyaltyMaker


def test_the_demo_refers_and_earns_from_orders_and_balances(make_loyalty: LoyaltyMaker) -> None:
    crm = make_loyalty(with_plugins=("sfa",))
    seed_demo_data(crm, customers=300, prospects=200, now=utcnow())

    with crm.read() as conn:
        referrals = conn.execute(
            select(referral, party_table.c.role)
            .join(party_table, party_table.c.id == referral.c.referred_party_id)
            .order_by(referral.c.id)
        ).all()
        rewards = {
            (e.member_id, e.reference): e.points
            for e in conn.execute(select(entry).where(entry.c.source == "referral"))
        }
        earned = conn.execute(
            select(
                entry.c.reference,
                entry.c.points,
                member.c.party_id,
                programme.c.currency,
                order_table.c.party_id.label("customer"),
                order_table.c.currency.label("order_currency"),
            )
            .join(member, member.c.id == entry.c.member_id)
            .join(programme, programme.c.id == member.c.programme_id)
            .outerjoin(
                order_table, order_table.c.id == entry.c.reference.cast(order_table.c.id.type)
            )
            .where(entry.c.source == "sfa.order")
        ).all()
        problems = mismatches(conn)

    assert {r.status for r in referrals} == {"pending", "rewarded"}
    assert all(r.role == "prospect" for r in referrals if r.status == "pending")
    assert all(r.role == "customer" for r in referrals if r.status == "rewarded")
    assert set(rewards) == {(r.member_id, str(r.id)) for r in referrals if r.status == "rewarded"}
    assert earned, "no demo order earned points"
    assert all(
        (e.customer, e.order_currency) == (e.party_id, e.currency) and e.points > 0 for e in earned
    )
    assert problems == []


def test_after_the_demo_every_member_is_in_the_tier_its_points_reach_with_a_review_date(
    make_loyalty: LoyaltyMaker,
) -> None:
    from crmkit_loyalty.programmes.months import add_months
    from crmkit_loyalty.programmes.tables import tier
    from crmkit_loyalty.programmes.tiers import qualifying_points_of

    crm = make_loyalty(with_plugins=("sfa",))
    now = utcnow()
    seed_demo_data(crm, customers=600, prospects=300, now=now)

    with crm.read() as conn:
        found = conn.execute(select(programme).where(programme.c.name == "Acme Rewards")).one()
        ladder = conn.execute(
            select(tier.c.id, tier.c.rank, tier.c.threshold)
            .where(tier.c.programme_id == found.id)
            .order_by(tier.c.rank)
        ).all()
        members = conn.execute(select(member).where(member.c.programme_id == found.id)).all()
        points = qualifying_points_of(
            conn, [m.id for m in members], add_months(now, -found.qualification_months)
        )
        order_earnings = conn.execute(
            select(entry.c.details).where(entry.c.source == "sfa.order")
        ).all()
    rank = {t.id: t.rank for t in ladder}
    reached = {m.id: [t for t in ladder if t.threshold <= points[m.id]][-1].id for m in members}
    assert [m.id for m in members if m.tier_id != reached[m.id]] == []
    assert any(rank[m.tier_id] > 1 for m in members)
    assert [m.id for m in members if rank[m.tier_id] > 0 and m.tier_review_on is None] == []
    assert order_earnings and all(e.details["multiplier"] == "1" for e in order_earnings)
