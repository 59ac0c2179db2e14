"""Forecasts: targets published at several levels are counted once, sales targets and another
plugin's plans are shown side by side, and periods outside the calendar are refused."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from crmkit_analytics import FactSource, Metric, Target
from crmkit_analytics.forecasts import service

from crmkit import SYSTEM, Crm, ValidationError, hookimpl
from crmkit.testing import register_plugin

from .conftest import CrmMaker, RollupMaker, Staff
from .test_forecasts_plans import SignOn, client_of

TODAY = date(2026, 12, 7)
Q4 = date(2026, 10, 1)
TEAM = "north"

# As sfa publishes them: each rep's target and their team's (the sum of the reps').
SALES = [
    Target("sfa.orders", Q4, date(2026, 12, 31), 100.0, "Rep a", owner_id=1001),
    Target("sfa.orders", Q4, date(2026, 12, 31), 200.0, "Rep b", owner_id=1002),
    Target("sfa.orders", Q4, date(2026, 12, 31), 300.0, "Team north", team=TEAM),
]
# As campaigns publishes them: a company-wide plan and one region's part of it.
PLANS = [
    Target("sfa.orders", Q4, date(2026, 12, 31), 450.0, "Plan: revenue"),
    Target("leads.created", Q4, date(2026, 12, 31), 150.0, "Plan: leads", measure="count"),
    Target("leads.created", Q4, date(2026, 12, 31), 20.0, "Plan: leads DE", "DE", measure="count"),
]


def sources_plugin() -> Any:
    def within(found: list[Target]) -> Any:
        return lambda conn, start, end: [
            t for t in found if t.starts_on <= end and t.ends_on >= start
        ]

    class Publishers:
        @hookimpl(optionalhook=True)
        def analytics_sources(self) -> list[Any]:
            return [
                FactSource(
                    name="sales",
                    metrics=(Metric("sfa.orders", "Orders", "amount"),),
                    targets=within(SALES),
                ),
                FactSource(name="marketing", targets=within(PLANS)),
            ]

    return register_plugin(Publishers(), name="publishers")


@pytest.fixture
def crm(make_analytics: CrmMaker) -> Crm:
    return make_analytics(
        analytics={"forecasts": {"method": "seasonal_naive"}},
        plugins=(sources_plugin(), register_plugin(SignOn(), name="signon")),
    )


def test_targets_at_several_levels_count_once_and_plans_stay_apart(
    crm: Crm, rollup_cell: RollupMaker
) -> None:
    rollup_cell("sfa.won", date(2026, 11, 3), 1, 250.0)
    with crm.read() as conn:
        found = service.forecast(
            crm, conn, SYSTEM, today=TODAY, first=Q4, periods=1, grain="quarter"
        )
    [sales], [leads] = found.sales, found.leads
    # The team's 300 (not 300 + the reps' 100 + 200), beside the marketing plan's 450:
    # a plan of another plugin does not hide the sales targets.
    assert (sales.target, sales.gap) == (pytest.approx(300.0), pytest.approx(-50.0))
    assert (sales.plan, sales.plan_gap) == (pytest.approx(450.0), pytest.approx(-200.0))
    # The company's lead plan, not its DE part again.
    assert leads.plan == pytest.approx(150.0) and leads.target is None
    counted = {(t.label, t.role, t.source) for t in found.targets}
    assert counted == {
        ("Team north", "target", "sales"),
        ("Plan: revenue", "plan", "marketing"),
        ("Plan: leads", "plan", "marketing"),
    }


def test_a_rep_sees_their_own_target(crm: Crm, staff: Staff) -> None:
    rep = staff.outsider
    own = Target("sfa.orders", Q4, date(2026, 12, 31), 80.0, "Rep otto", owner_id=rep.user_id)
    SALES.append(own)
    try:
        with crm.read() as conn:
            found = service.forecast(
                crm, conn, rep, today=TODAY, first=Q4, periods=1, grain="quarter"
            )
    finally:
        SALES.remove(own)
    assert found.sales[0].target == pytest.approx(80.0)
    assert found.sales[0].plan is None  # the company plan is for who sees everything


@pytest.mark.parametrize(
    ("query", "periods"),
    [("0001-01", None), ("1900-06", None), ("9999-12", "36"), ("9999-11", "3"), ("9999-12", "1")],
)
def test_periods_outside_the_calendar_are_refused_naming_start(
    crm: Crm, staff: Staff, query: str, periods: str | None
) -> None:
    params = {"start": query, **({"periods": periods} if periods else {})}
    with client_of(crm, staff.admin) as client:
        api = client.get("/p/analytics/forecasts/figures", params=params)
        page = client.get("/p/analytics/forecasts", params=params)
        quarters = client.get(
            "/p/analytics/forecasts/figures", params={**params, "grain": "quarter"}
        )
    for answer in (api, page, quarters):
        assert answer.status_code == 422, answer.text
    assert api.json()["field"] == "start"
    assert quarters.json()["field"] == "start"


def test_the_edges_that_fit_are_answered(crm: Crm) -> None:
    with crm.read() as conn:
        last = service.forecast(crm, conn, SYSTEM, today=TODAY, first=date(9999, 11, 1), periods=1)
        first = service.forecast(crm, conn, SYSTEM, today=TODAY, first=date(1903, 1, 1), periods=1)
        with pytest.raises(ValidationError):
            service.forecast(crm, conn, SYSTEM, today=TODAY, first=date(9999, 12, 1), periods=1)
    assert last.sales[0].period == "9999-11"
    assert first.sales[0].period == "1903-01"


def test_a_rep_sees_their_territorys_figures_as_the_docs_say(
    crm: Crm, staff: Staff, rollup_cell: RollupMaker
) -> None:
    # docs/forecasts.md, "Who sees what": a sales user's rows are their own and their
    # territories' (a colleague's deal in FR-75 included), never another territory's.
    colleague = 4242
    rollup_cell("sfa.won", date(2026, 11, 3), 1, 300.0, territory="FR-75001", owner_id=colleague)
    rollup_cell("sfa.won", date(2026, 11, 4), 1, 70.0, territory="DE-10115", owner_id=colleague)
    with crm.read() as conn:
        found = service.forecast(
            crm, conn, staff.outsider, today=TODAY, first=Q4, periods=1, grain="quarter"
        )
    assert found.sales[0].won == 300.0
