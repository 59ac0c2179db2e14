"""Forecasts against plans: seasonal baseline, pipeline, targets and the gap, record rules."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pytest
from crmkit_analytics import Target
from crmkit_analytics.forecasts import service
from crmkit_analytics.forecasts.baseline import seasonal_baseline
from crmkit_analytics.forecasts.tile import forecast_tile

from crmkit import SYSTEM, Actor, Crm, PermissionDenied, hookimpl
from crmkit.testing import add_party, add_user, http_client, register_plugin

from .conftest import CrmMaker, RollupMaker, Staff

TODAY = date(2026, 12, 7)
JANUARY = date(2027, 1, 1)
TARGETS = [
    Target("sfa.orders", date(2027, 1, 1), date(2027, 3, 31), 9000.0, "Q1 revenue"),
    Target(
        "campaigns.leads",
        date(2027, 1, 1),
        date(2027, 1, 31),
        50.0,
        "January fair plan",
        measure="count",
    ),
    Target("sfa.orders", date(2027, 1, 1), date(2027, 1, 31), 12.0, "orders", measure="count"),
    Target("sfa.won", date(2027, 1, 1), date(2027, 1, 31), 620.0, "Berlin", territory="DE-10"),
    Target("something.else", date(2027, 1, 1), date(2027, 1, 31), 1.0, "not a sales target"),
]


SIGNED_ON: dict[str, Actor] = {}


def publishers(targets: list[Target]) -> Any:
    """A throwaway plugin with two sources, as sfa and campaigns are: ``sales`` publishes the
    ``sfa.*`` metrics and the targets against them (targets), ``marketing`` every other one
    (plans of another plugin, such as campaigns' revenue and lead plans)."""
    from crmkit_analytics import FactSource, Metric

    def of(mine: bool) -> Any:
        def published(conn: Any, start: date, end: date) -> list[Target]:
            return [
                t
                for t in targets
                if t.starts_on <= end
                and t.ends_on >= start
                and (mine == t.label.startswith(("Q1", "Berlin", "orders", "Team", "Rep")))
            ]

        return published

    class Publishers:
        @hookimpl(optionalhook=True)
        def analytics_sources(self) -> list[Any]:
            return [
                FactSource(
                    name="sales",
                    metrics=(
                        Metric("sfa.orders", "Orders", "amount"),
                        Metric("sfa.won", "Won", "amount"),
                    ),
                    targets=of(True),
                ),
                FactSource(name="marketing", targets=of(False)),
            ]

    return register_plugin(Publishers(), name="publishers")


class SignOn:
    """Requests act as whoever the test signed on last (throwaway plugins do not survive
    ``client_as``, so this CRM carries its own)."""

    @hookimpl
    def actor_from_request(self, app: Crm, request: Any) -> Actor:
        return SIGNED_ON["actor"]


@pytest.fixture
def crm(make_analytics: CrmMaker) -> Crm:
    return make_analytics(
        analytics={"forecasts": {"method": "seasonal_naive"}},
        plugins=(publishers(TARGETS), register_plugin(SignOn(), name="signon")),
    )


def client_of(crm: Crm, actor: Actor) -> Any:
    SIGNED_ON["actor"] = actor
    return http_client(crm)


@pytest.fixture
def history(rollup_cell: RollupMaker) -> None:
    """Three years of won revenue, 1000 + 100 times the month number, on the 15th; leads from the web
    (10 a month) and fairs (20 in March, 0 otherwise); 1500 weighted pipeline closing on
    20 January 2027."""
    for year in (2024, 2025, 2026):
        for month in range(1, 13):
            rollup_cell("sfa.won", date(year, month, 15), 1, 1000.0 + 100 * month)
            rollup_cell("leads.created", date(year, month, 3), 10, dimension="web")
            if month == 3:
                rollup_cell("leads.created", date(year, month, 9), 20, dimension="fair")
    rollup_cell("sfa.weighted", date(2027, 1, 20), 2, 1500.0)


def test_holt_winters_recovers_a_generated_seasonal_series() -> None:
    months = np.arange(60)
    truth = 200 + 3 * months + 40 * np.sin(2 * np.pi * months / 12)
    noisy = truth + np.random.default_rng(7).normal(0, 2, months.size)
    found = seasonal_baseline(noisy[:48], 12)
    assert found.method == "holt_winters"
    assert found.alpha is not None and 0 <= found.alpha <= 1
    assert np.allclose(found.values, truth[48:], rtol=0.03)
    # Leaving the season out is much worse: the season is what the model learned.
    flat = np.full(12, noisy[36:48].mean())
    assert np.abs(found.values - truth[48:]).mean() < np.abs(flat - truth[48:]).mean() / 4


def test_short_histories_fall_back_and_nothing_goes_below_zero() -> None:
    year = [5.0, 0.0, 7.0, 1, 1, 1, 1, 1, 1, 1, 1, 9]
    naive = seasonal_baseline(year, 14)
    assert (naive.method, naive.values[:3], naive.values[12:]) == (
        "seasonal_naive",
        (5.0, 0.0, 7.0),
        (5.0, 0.0),
    )
    assert seasonal_baseline([4.0, 6.0], 2).values == (5.0, 5.0)
    assert seasonal_baseline([], 3) == service.Baseline((0.0, 0.0, 0.0), "none")
    falling = 1000 - 40 * np.arange(36.0)
    assert min(seasonal_baseline(falling, 24).values) >= 0.0


def test_sales_forecast_sets_pipeline_and_baseline_against_the_target(
    crm: Crm, history: None
) -> None:
    with crm.read() as conn:
        found = service.forecast(
            crm, conn, service_admin(crm), today=TODAY, first=JANUARY, periods=3
        )
    january, february, march = found.sales
    assert (january.period, january.start, january.end) == ("2027-01", JANUARY, date(2027, 1, 31))
    assert found.method == "seasonal_naive"
    # January: 1500 weighted pipeline beats the 1100 January usually brings.
    assert (january.won, january.weighted_pipeline, january.baseline) == (0.0, 1500.0, 1100.0)
    assert january.forecast == 1500.0
    # Q1's 9000 by days (31 of 90); the company's target, not Berlin's part of it again,
    # and not the number of orders (a count set against revenue).
    assert january.target == pytest.approx(9000 * 31 / 90)
    assert january.gap == pytest.approx(1500 - 3100)
    assert (february.forecast, february.target) == (1200.0, pytest.approx(2800.0))
    assert march.gap == pytest.approx(1300 - 3100)
    assert [t.label for t in found.targets] == ["Q1 revenue", "January fair plan"]


def test_quarters_sum_their_months(crm: Crm, history: None) -> None:
    with crm.read() as conn:
        found = service.forecast(
            crm,
            conn,
            service_admin(crm),
            today=TODAY,
            first=date(2027, 2, 10),
            periods=1,
            grain="quarter",
        )
    [quarter] = found.sales
    assert (quarter.period, quarter.start, quarter.end) == (
        "2027-Q1",
        JANUARY,
        date(2027, 3, 31),
    )
    assert quarter.baseline == 1100 + 1200 + 1300
    assert quarter.pipeline_forecast == 1500.0
    assert quarter.gap == pytest.approx(3600 - 9000)


def test_lead_forecast_per_source_against_the_campaign_plan(crm: Crm, history: None) -> None:
    with crm.read() as conn:
        found = service.forecast(
            crm, conn, service_admin(crm), today=TODAY, first=JANUARY, periods=3
        )
    january, _, march = found.leads
    assert january.by_source == {"web": 10.0, "fair": 0.0}
    assert march.by_source == {"web": 10.0, "fair": 20.0}
    # The fair plan is another source's plan (campaigns'), not a target of the lead metric.
    assert (january.forecast, january.plan, january.plan_gap) == (10.0, 50.0, -40.0)
    assert (january.target, january.gap) == (None, None)
    assert (march.forecast, march.plan, march.plan_gap) == (30.0, None, None)


def service_admin(crm: Crm) -> Actor:
    return SYSTEM


def test_a_manager_sees_only_the_figures_and_targets_of_their_territory(
    crm: Crm, staff: Staff, rollup_cell: RollupMaker
) -> None:
    for year in (2025, 2026):
        for month in range(1, 13):
            rollup_cell("sfa.won", date(year, month, 1), 1, 100.0, territory="DE-10115")
            rollup_cell("sfa.won", date(year, month, 1), 1, 7000.0, territory="FR-75001")
    with crm.read() as conn:
        manager = service.forecast(crm, conn, staff.manager, today=TODAY, first=JANUARY, periods=1)
        outsider = service.forecast(
            crm, conn, staff.outsider, today=TODAY, first=JANUARY, periods=1
        )
        with pytest.raises(PermissionDenied):
            service.forecast(
                crm, conn, staff.manager, today=TODAY, first=JANUARY, periods=1, territory="FR-75"
            )
        agent = service.forecast(crm, conn, staff.agent, today=TODAY, first=JANUARY, periods=1)
    assert (manager.sales[0].baseline, manager.sales[0].target) == (100.0, 620.0)
    assert (outsider.sales[0].baseline, outsider.sales[0].target) == (7000.0, None)
    assert (agent.sales[0].baseline, agent.sales[0].target) == (0.0, None)


def test_api_and_page_show_the_forecast_and_refuse_bad_input(
    crm: Crm, staff: Staff, history: None
) -> None:
    with client_of(crm, staff.admin) as client:
        answer = client.get(
            "/p/analytics/forecasts/figures", params={"start": "2027-01", "periods": "2"}
        )
        page = client.get("/p/analytics/forecasts", params={"start": "2027-01", "periods": "3"})
        bad_grain = client.get("/p/analytics/forecasts/figures", params={"grain": "week"})
        bad_start = client.get("/p/analytics/forecasts/figures", params={"start": "January"})
        unknown = client.get("/p/analytics/forecasts/figures", params={"colour": "red"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [row["period"] for row in body["sales"]] == ["2027-01", "2027-02"]
    assert body["sales"][0]["forecast"] == 1500.0
    assert body["leads"][0]["plan"] == 50.0
    assert page.status_code == 200, page.text
    assert "<svg" in page.text and "Q1 revenue" in page.text and "-1,600" in page.text
    assert (bad_grain.status_code, bad_grain.json()["field"]) == (422, "grain")
    assert (bad_start.status_code, bad_start.json()["field"]) == (422, "start")
    assert unknown.status_code == 422
    with client_of(crm, staff.agent) as client:
        assert client.get("/p/analytics/forecasts/figures").status_code == 403


def test_tile_shows_the_quarter_against_target(crm: Crm, staff: Staff, history: None) -> None:
    html = forecast_tile(crm, staff.admin)
    assert "<table>" in html and "Forecast" in html
    assert forecast_tile(crm, staff.agent) == ""


def test_an_sfa_deal_reaches_the_forecast_through_the_rollups(make_analytics: CrmMaker) -> None:
    crm = make_analytics(with_plugins=("sfa",), plugins=(register_plugin(SignOn(), name="signon"),))
    admin = add_user(crm, "ada", "admin", team="it")
    party = add_party(crm)
    with client_of(crm, admin) as client:
        created = client.post(
            "/p/sfa/opportunities",
            json={
                "title": "Vans",
                "party_id": party,
                "amount": "10000",
                "expected_close": "2027-01-20",
            },
        )
    assert created.status_code == 201, created.text
    probability = float(created.json()["probability"])
    assert crm.jobs.run("analytics.rebuild_rollups").ok
    with crm.read() as conn:
        found = service.forecast(crm, conn, admin, today=TODAY, first=JANUARY, periods=2)
    share = probability / 100 if probability > 1 else probability
    january, february = found.sales
    assert january.weighted_pipeline == pytest.approx(10000 * share)
    assert (january.won, february.weighted_pipeline) == (0.0, 0.0)
