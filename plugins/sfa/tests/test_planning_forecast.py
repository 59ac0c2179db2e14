"""The forecast of a period: pipeline, weighted, commit, best case, won, and the change since last week."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from crmkit_sfa.pipeline.tables import opportunity
from crmkit_sfa.planning.forecast import Forecast, forecast, take_snapshot
from crmkit_sfa.planning.periods import period_of, week_start
from crmkit_sfa.planning.scopes import EVERYBODY, Scope
from crmkit_sfa.planning.settings import PlanningSettings
from crmkit_sfa.planning.tables import forecast_snapshot
from sqlalchemy import select, update

from crmkit import Actor, Crm, Settings, utcnow
from crmkit.testing import http_client

if TYPE_CHECKING:
    from conftest import SalesRows, SalesTeam

NOW = utcnow()
TODAY = NOW.date()
QUARTER = period_of("quarter", TODAY)
SETTINGS = PlanningSettings(commit_probability=75, best_case_probability=25)


def forecast_of(crm: Crm, scope: Scope = EVERYBODY) -> Forecast:
    with crm.read() as conn:
        return forecast(conn, QUARTER, scope, SETTINGS, TODAY)


def figures(result: Forecast, currency: str = "EUR") -> dict[str, Any]:
    [entry] = [c for c in result.currencies if c.figures.currency == currency]
    f = entry.figures
    return {
        "open": f.open_count,
        "pipeline": f.pipeline,
        "weighted": f.weighted,
        "commit": f.commit,
        "best_case": f.best_case,
        "won": f.won,
    }


def test_categories_count_open_deals_by_probability_and_add_what_is_won(
    rows: SalesRows, team: SalesTeam, crm: Crm
) -> None:
    seller = team.seller.user_id
    rows.opportunity(seller, "1000.00", probability=90)
    rows.opportunity(seller, "2000.00", probability=50)
    rows.opportunity(seller, "3000.00", probability=10)
    rows.opportunity(seller, "500.00", status="won", probability=100, closed_at=NOW)
    # Outside the quarter, lost, or without an amount: none of them counts.
    rows.opportunity(seller, "9000.00", expected_close=QUARTER.end)
    rows.opportunity(seller, "9000.00", expected_close=QUARTER.start - timedelta(days=1))
    rows.opportunity(seller, "9000.00", status="lost", closed_at=NOW)
    rows.opportunity(seller, "9000.00", status="won", closed_at=NOW - timedelta(days=400))
    assert figures(forecast_of(crm)) == {
        "open": 3,
        "pipeline": Decimal("6000.00"),
        "weighted": Decimal("2700.00"),  # 900 + 1000 + 300, plus 500 won
        "commit": Decimal("1500.00"),
        "best_case": Decimal("3500.00"),
        "won": Decimal("500.00"),
    }


def test_weighted_amount_is_exact_to_the_cent(rows: SalesRows, crm: Crm, team: SalesTeam) -> None:
    rows.opportunity(team.seller.user_id, "0.10", probability=33)
    rows.opportunity(team.seller.user_id, "0.10", probability=33)
    assert figures(forecast_of(crm))["weighted"] == Decimal("0.07")  # 6.6 cents, rounded once


def test_currencies_are_kept_apart(rows: SalesRows, crm: Crm, team: SalesTeam) -> None:
    rows.opportunity(team.seller.user_id, "100.00", currency="EUR")
    rows.opportunity(team.seller.user_id, "70.00", currency="CHF")
    result = forecast_of(crm)
    assert figures(result, "EUR")["pipeline"] == Decimal("100.00")
    assert figures(result, "CHF")["pipeline"] == Decimal("70.00")


def test_scope_slices_by_owner_team_territory_and_product_group(
    rows: SalesRows, crm: Crm, team: SalesTeam
) -> None:
    rows.opportunity(team.seller.user_id, "100.00", territory="DE-10117", products=["vans"])
    rows.opportunity(team.territory_seller.user_id, "20.00", territory="DE-80331")
    rows.opportunity(team.outsider.user_id, "3.00", territory="AT-1010", products=["cars"])

    def pipeline(scope: Scope) -> Decimal:
        return Decimal(figures(forecast_of(crm, scope))["pipeline"])

    assert pipeline(Scope("user", str(team.seller.user_id))) == Decimal("100.00")
    assert pipeline(Scope("team", "north")) == Decimal("120.00")
    assert pipeline(Scope("territory", "DE")) == Decimal("120.00")
    assert pipeline(Scope("territory", "DE-10")) == Decimal("100.00")
    assert pipeline(Scope("product_group", "cars")) == Decimal("3.00")
    assert pipeline(EVERYBODY) == Decimal("123.00")


def test_snapshot_is_taken_once_a_week(rows: SalesRows, crm: Crm, team: SalesTeam) -> None:
    rows.opportunity(team.seller.user_id, "100.00", territory="DE-10117")
    rows.opportunity(team.outsider.user_id, "50.00", territory="AT-1010")
    assert take_snapshot(crm) > 0
    assert take_snapshot(crm) == 0
    with crm.read() as conn:
        taken = conn.execute(select(forecast_snapshot.c.taken_on).distinct()).scalars().all()
    assert taken == [week_start(TODAY)]


def test_change_since_last_week_compares_with_last_weeks_snapshot(
    rows: SalesRows, crm: Crm, team: SalesTeam
) -> None:
    seller = team.seller.user_id
    rows.opportunity(seller, "1000.00", probability=80)
    assert forecast_of(crm).compared_with is None
    take_snapshot(crm)
    with crm.transaction() as tx:  # as if the snapshot had been taken a week ago
        tx.conn.execute(
            update(forecast_snapshot).values(taken_on=week_start(TODAY) - timedelta(days=7))
        )
    rows.opportunity(seller, "500.00", probability=20)
    rows.opportunity(team.outsider.user_id, "7.00", probability=20)
    mine = forecast_of(crm, Scope("user", str(seller)))
    assert mine.compared_with == week_start(TODAY) - timedelta(days=7)
    [entry] = mine.currencies
    assert entry.change is not None
    assert (entry.change.pipeline, entry.change.weighted, entry.change.commit) == (
        Decimal("500.00"),
        Decimal("100.00"),
        Decimal("0.00"),
    )


def test_a_currency_gone_since_last_week_shows_its_fall(
    crm: Crm, rows: SalesRows, team: SalesTeam
) -> None:
    rows.opportunity(team.seller.user_id, "300.00", currency="CHF")
    take_snapshot(crm)
    with crm.transaction() as tx:  # the snapshot is last week's; since then the deal was lost
        tx.conn.execute(
            update(forecast_snapshot).values(taken_on=week_start(TODAY) - timedelta(days=7))
        )
        tx.conn.execute(update(opportunity).values(status="lost", closed_at=NOW))
    [entry] = forecast_of(crm).currencies
    assert (entry.figures.currency, entry.figures.pipeline) == ("CHF", Decimal("0.00"))
    assert entry.change is not None and entry.change.pipeline == Decimal("-300.00")


def test_forecast_route_answers_for_your_own_deals_and_refuses_others_to_a_salesperson(
    rows: SalesRows, team: SalesTeam, crm_as: Callable[[Actor], Crm]
) -> None:
    rows.opportunity(team.seller.user_id, "1000.00", probability=90)
    with http_client(crm_as(team.seller)) as client:
        own = client.get("/p/sfa/forecast", params={"period": QUARTER.key})
        others = [
            client.get("/p/sfa/forecast", params={"scope": scope, "scope_key": key})
            for scope, key in (
                ("team", "north"),
                ("user", str(team.outsider.user_id)),
                # A team named as the salesperson's user id is not theirs either.
                ("team", str(team.seller.user_id)),
            )
        ]
    assert own.status_code == 200, own.text
    assert (
        own.json()["currencies"][0]["figures"]["commit"] == "900.00"
        or own.json()["currencies"][0]["figures"]["commit"] == "1000.00"
    )
    assert [o.status_code for o in others] == [403] * 3


def test_manager_sees_the_team_forecast(
    rows: SalesRows, team: SalesTeam, crm_as: Callable[[Actor], Crm]
) -> None:
    rows.opportunity(team.seller.user_id, "1000.00", probability=90)
    rows.opportunity(team.outsider.user_id, "1.00", probability=90)
    with http_client(crm_as(team.manager)) as client:
        response = client.get(
            "/p/sfa/forecast", params={"period": QUARTER.key, "scope": "team", "scope_key": "north"}
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["period"], body["scope"], body["scope_key"]) == (QUARTER.key, "team", "north")
    assert body["currencies"][0]["figures"]["pipeline"] == "1000.00"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "2026-Q7"}, "period"),
        ({"scope": "galaxy"}, "scope"),
        ({"scope": "user"}, "scope_key"),
    ],
)
def test_bad_forecast_query_is_a_problem_naming_the_field(
    team: SalesTeam, crm_as: Callable[[Actor], Crm], params: dict[str, str], field: str
) -> None:
    with http_client(crm_as(team.manager)) as client:
        response = client.get("/p/sfa/forecast", params=params)
    assert response.status_code == 422
    assert response.json()["field"] == field


@pytest.mark.parametrize(
    ("planning", "key"),
    [
        ({"commit_probability": 120}, "commit_probability"),
        ({"commit_probability": 20, "best_case_probability": 30}, "best_case_probability"),
        ({"gap_opportunities": 0}, "gap_opportunities"),
    ],
)
def test_bad_planning_setting_fails_the_plugin_naming_the_key(
    make_crm: Callable[..., Crm], planning: dict[str, int], key: str
) -> None:
    settings = Settings(plugin_settings={"sfa": {"planning": planning}})
    status = make_crm(plugins=["sfa"], settings=settings, create_tables=False).host.statuses["sfa"]
    assert status.state == "failed"
    assert "plugins.sfa.planning" in (status.reason or "")
    assert key in (status.reason or "")
