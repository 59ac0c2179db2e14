"""The ledger part of the demo: about 200 members of "Acme Rewards" with two years of history."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import TYPE_CHECKING

from crmkit_loyalty.ledger.numbers import is_member_number
from crmkit_loyalty.ledger.tables import entry, member
from crmkit_loyalty.programmes.tables import programme, tier
from sqlalchemy import func, select

from crmkit import utcnow
from crmkit.testing import seed_demo_data

if TYPE_CHECKING:
    from conftest import LoyaltyMaker


def test_the_demo_members_have_balanced_ledgers_and_tiers_their_points_reach(
    make_loyalty: LoyaltyMaker,
) -> None:
    crm = make_loyalty()
    now = utcnow()
    seed_demo_data(crm, customers=300, prospects=20, now=now)

    with crm.read() as conn:
        found = conn.execute(select(programme).where(programme.c.name == "Acme Rewards")).one()
        members = conn.execute(
            select(member, tier.c.threshold)
            .join(tier, tier.c.id == member.c.tier_id)
            .where(member.c.programme_id == found.id)
        ).all()
        kinds = Counter(conn.execute(select(entry.c.kind)).scalars())
        first = conn.execute(select(func.min(entry.c.created_at))).scalar_one()
        since = now - timedelta(days=30 * found.qualification_months + 31)
        recent = dict(
            conn.execute(
                select(entry.c.member_id, func.sum(entry.c.points))
                .where(entry.c.kind == "earn", entry.c.created_at >= since)
                .group_by(entry.c.member_id)
            ).all()
        )
    assert 150 <= len(members) <= 200
    assert all(is_member_number(m.number) for m in members)
    assert kinds["earn"] > kinds["redeem"] > 0 and kinds["expire"] > 0
    assert first < now - timedelta(days=365)
    # No member sits in a tier its points of the qualification period do not reach.
    assert all(m.threshold <= recent.get(m.id, 0) for m in members)
    from crmkit_loyalty.ledger.check import mismatches

    with crm.read() as conn:
        assert mismatches(conn) == []
