"""The SLA part of the demo: calendars, policies, gold customers, clocks and breaches of the demo's cases."""

from __future__ import annotations

from collections.abc import Callable

from crmkit_service.cases.tables import case
from crmkit_service.sla.tables import breach, calendar, clock, policy
from crmkit_service.sla.worklist import work_list
from sqlalchemy import Table, func, select

from crmkit import SYSTEM, Crm, utcnow
from crmkit.testing import seed_demo_data


def test_the_demo_gives_its_cases_clocks_and_its_late_ones_breaches(
    make_service: Callable[..., Crm],
) -> None:
    crm = make_service()
    seed_demo_data(crm, customers=200, prospects=20, now=utcnow())
    with crm.read() as conn:

        def count(table: Table) -> int:
            return conn.execute(select(func.count()).select_from(table)).scalar_one()

        cases, clocks = count(case), count(clock)
        states = conn.execute(select(clock.c.met, func.count()).group_by(clock.c.met)).all()
        penalties = conn.scalars(select(breach.c.penalty).distinct()).all()
        owner = conn.scalar(
            select(clock.c.owner_id).where(
                clock.c.stopped_at.is_(None), clock.c.owner_id.is_not(None)
            )
        )
        assert count(calendar) >= 1 and count(policy) == 5
        assert owner is not None and work_list(conn, crm.host, SYSTEM, owner)
    assert clocks == 2 * cases
    assert {met for met, _ in states} == {True, False, None}
    assert any(p and "credit" in p for p in penalties)
