"""The demo's visits: consistent with their cases and contracts, told on the cases, workable."""

from __future__ import annotations

from typing import Any

from crmkit_service.assets.service import contracts_of_party
from crmkit_service.cases.service import case_events, load_case
from crmkit_service.dispatch import service
from crmkit_service.dispatch.tables import dispatch
from sqlalchemy import select

from crmkit import Crm, utcnow
from crmkit.testing import seed_demo_data


def test_the_demo_seeds_visits_told_on_their_cases(crm: Crm, staff: Any) -> None:
    now = utcnow().replace(microsecond=0)
    seed_demo_data(crm, customers=300, prospects=10, now=now)
    with crm.read() as conn:
        visits = [service.dispatch_of(row) for row in conn.execute(select(dispatch))]
        assert {v.status for v in visits} >= {"done", "dispatched"}
        for visit in visits:
            case = load_case(conn, visit.case_id)
            told = [e for e in case_events(conn, case.id) if e.kind == "dispatch"]
            assert told and all(e.data["dispatch_id"] == visit.id for e in told)
            assert visit.party_id == case.party_id and visit.asset_id == case.asset_id
            if visit.status == "done":
                assert not case.is_open and visit.done_at is not None
                assert visit.done_at <= now and visit.report
            else:
                assert case.is_open and visit.scheduled_start > now
            assert (visit.technician_id is None) == (visit.status == "requested")
        for party_id in {v.party_id for v in visits}:
            assert all(
                c.visits_used <= c.visits_included for c in contracts_of_party(conn, party_id)
            )
    booked = next(v for v in visits if v.status == "dispatched")
    with crm.transaction(staff.agent) as tx:
        arrived = service.change_status(tx, booked.id, "on_site", version=booked.version)
    assert arrived.status == "on_site"
