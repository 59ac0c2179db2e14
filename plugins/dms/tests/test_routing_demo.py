"""The routing part of the demo: leads offered to the demo's partners, and a fallback queue."""

from __future__ import annotations

from collections import Counter
from typing import Any

from crmkit_dms.routing.tables import assignment
from sqlalchemy import select

from crmkit import utcnow
from crmkit.testing import seed_demo_data


def test_the_demo_routes_prospects_and_keeps_one_open_assignment_per_lead(make_dms: Any) -> None:
    crm = make_dms()
    now = utcnow()
    seed_demo_data(crm, customers=20, prospects=60, now=now)
    with crm.read() as conn:
        rows = list(conn.execute(select(assignment)))
    # The demo's dealers are German: its German prospects, and a few others for the queue.
    assert len({row.party_id for row in rows}) >= 5
    open_per_lead = Counter(row.party_id for row in rows if row.closed_at is None)
    assert set(open_per_lead.values()) <= {1}
    assert all(row.offered_at <= now for row in rows)
    assert "unrouted" in {row.state for row in rows}
    by_id = {row.id: row for row in rows}
    for row in rows:
        if row.previous_id is not None:
            before = by_id[row.previous_id]
            assert before.state in ("declined", "expired") and before.party_id == row.party_id
