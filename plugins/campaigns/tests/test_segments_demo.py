"""The segments part of the demo: saved segments that compile and select parties, and lists."""

from __future__ import annotations

from typing import Any

from crmkit_campaigns.segments import lists, service
from crmkit_campaigns.segments.tables import segment
from sqlalchemy import func, select

from crmkit import SYSTEM, utcnow
from crmkit.testing import seed_demo_data


def test_the_demo_segments_select_parties(make_campaigns: Any) -> None:
    crm = make_campaigns(sfa=True)
    # Enough customers that each saved segment finds some: the narrowest (German pump buyers
    # of over half a year ago) holds about 1 % of them.
    seed_demo_data(crm, customers=600, prospects=200, now=utcnow())
    with crm.transaction(SYSTEM) as tx:
        saved = service.list_segments(tx)
        counts = {s.name: service.preview(tx, s.definition).count for s in saved}
        static = lists.list_lists(tx, "static")
        suppression = lists.list_lists(tx, "suppression")
        total = tx.conn.execute(select(func.count()).select_from(segment)).scalar()
    assert total == 5 and "Pump owners due for an upgrade" in counts
    assert all(counts.values()), counts
    assert [s.members for s in static] == [150] and suppression[0].members == 25
    assert suppression[0].addresses == 3
