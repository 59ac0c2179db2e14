"""The demo's routing history obeys the routing rules and the clock: each lead offered only
to a partner covering its region and brand, nothing dated after the demo's now."""

from __future__ import annotations

from typing import Any

from crmkit_dms.partners.model import candidates
from crmkit_dms.routing.tables import assignment
from sqlalchemy import select

from crmkit import utcnow
from crmkit.testing import seed_demo_data


def test_the_demo_offers_leads_only_to_partners_covering_them_and_never_later_than_now(
    make_dms: Any,
) -> None:
    crm = make_dms()
    now = utcnow()
    seed_demo_data(crm, customers=20, prospects=300, now=now)
    with crm.read() as conn:
        rows = list(conn.execute(select(assignment)))
        offered = [row for row in rows if row.partner_id is not None]
        assert len(offered) > 10
        for row in offered:
            covering = candidates(conn, country=row.country, postcode=row.postcode, brand=row.brand)
            assert row.partner_id in {p.id for p in covering}, row
            assert row.vehicle["make"] == row.brand
    for row in rows:
        for moment in ("offered_at", "accepted_at", "first_contact_at", "closed_at", "updated_at"):
            assert getattr(row, moment) is None or getattr(row, moment) <= now, (moment, row)
        if row.closed_at is None and row.state == "offered":
            assert row.accept_by > now  # no open offer past its deadline
    assert {"sold", "lost", "offered", "unrouted"} <= {row.state for row in rows}
