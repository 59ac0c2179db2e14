"""Dashboard widgets and the targets and forecast pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from crmkit_sfa.planning.periods import period_of
from crmkit_sfa.planning.targets import create_target

from crmkit import Actor, Crm, utcnow
from crmkit.testing import http_client

if TYPE_CHECKING:
    from conftest import SalesRows, SalesTeam

NOW = utcnow()
TODAY = NOW.date()
QUARTER = period_of("quarter", TODAY)


def render(crm: Crm, name: str, actor: Actor) -> str:
    return crm.widgets[name].render(crm, actor)


def test_pipeline_widget_shows_the_open_deals_the_actor_sees_by_stage(
    crm: Crm, rows: SalesRows, team: SalesTeam
) -> None:
    rows.opportunity(team.seller.user_id, "1000.00", stage="qualification")
    rows.opportunity(team.seller.user_id, "234.50", stage="qualification")
    rows.opportunity(team.seller.user_id, "50.00", stage="final")
    rows.opportunity(team.outsider.user_id, "99999.00", stage="final")
    html = render(crm, "sfa.pipeline_by_stage", team.seller)
    assert "<td>Qualification</td><td>2</td><td>1,234.50 EUR</td>" in html
    assert "<td>Final stage</td><td>1</td><td>50.00 EUR</td>" in html
    assert "99,999" not in html
    assert render(crm, "sfa.pipeline_by_stage", team.manager).count("<tr>") == 3


def test_forecast_widget_puts_this_quarter_next_to_the_target(
    crm: Crm, rows: SalesRows, team: SalesTeam
) -> None:
    seller = team.seller.user_id
    rows.opportunity(seller, "1000.00", probability=80)
    rows.order(seller, NOW, {"vans": "500.00"})
    with crm.transaction() as tx:
        body = {"scope": "user", "scope_key": str(seller), "period": QUARTER.key}
        create_target(tx, {**body, "value": "2000.00", "currency": "EUR"})
    html = render(crm, "sfa.forecast_vs_target", team.seller)
    assert QUARTER.key in html
    # The order's opportunity was won today: 1000.00 won, plus the 800 weighted.
    assert "<td>EUR</td><td>1,000.00</td><td>2,000.00</td><td>1,800.00</td>" in html
    assert "<td>2,000.00 (25.0%)</td>" in html


def test_overdue_widget_lists_the_actors_own_overdue_activities(
    crm: Crm, rows: SalesRows, team: SalesTeam
) -> None:
    rows.activity(team.seller.user_id, NOW - timedelta(days=1), subject="Call <Anna>")
    rows.activity(team.seller.user_id, NOW + timedelta(days=1), subject="Later")
    rows.activity(team.outsider.user_id, NOW - timedelta(days=1), subject="Not mine")
    html = render(crm, "sfa.overdue_activities", team.seller)
    assert "Call &lt;Anna&gt;" in html
    assert "Later" not in html and "Not mine" not in html
    assert render(crm, "sfa.overdue_activities", team.outsider).count("<tr>") == 2


def test_dashboard_of_a_salesperson_has_the_three_tiles(
    crm: Crm, team: SalesTeam, crm_as: Callable[[Actor], Crm]
) -> None:
    with http_client(crm_as(team.seller)) as client:
        home = client.get("/")
    assert home.status_code == 200, home.text
    for name in ("sfa.pipeline_by_stage", "sfa.forecast_vs_target", "sfa.overdue_activities"):
        assert f'data-widget="{name}"' in home.text
    assert 'class="tile failed"' not in home.text


def test_an_admin_sees_the_tiles_and_a_read_only_user_none(
    crm: Crm, crm_as: Callable[[Actor], Crm]
) -> None:
    for role, shown in (("admin", True), ("read-only", False)):
        with http_client(crm_as(Actor(user_id=None, username=role, role=role))) as client:
            home = client.get("/")
        assert home.status_code == 200, home.text
        assert ('data-widget="sfa.pipeline_by_stage"' in home.text) is shown


def test_targets_page_shows_attainment_and_gap(
    crm: Crm, rows: SalesRows, team: SalesTeam, crm_as: Callable[[Actor], Crm]
) -> None:
    rows.order(team.seller.user_id, NOW, {"vans": "250.00"})
    with crm.transaction() as tx:
        body = {"scope": "user", "scope_key": str(team.seller.user_id), "period": QUARTER.key}
        create_target(tx, {**body, "value": "1000.00", "currency": "EUR"})
    with http_client(crm_as(team.manager)) as client:
        page = client.get("/p/sfa/planning/targets", params={"period": QUARTER.key})
        bad = client.get("/p/sfa/planning/targets", params={"period": "soon"})
    assert page.status_code == 200, page.text
    assert "<td>250.00 EUR</td>" in page.text
    assert "<td>25.0%</td>" in page.text
    assert "<td>750.00 EUR</td>" in page.text
    assert bad.status_code == 422


def test_forecast_page_shows_the_categories(
    crm: Crm, rows: SalesRows, team: SalesTeam, crm_as: Callable[[Actor], Crm]
) -> None:
    rows.opportunity(team.seller.user_id, "1000.00", probability=80)
    with http_client(crm_as(team.seller)) as client:
        page = client.get("/p/sfa/planning/forecast")
        others = client.get("/p/sfa/planning/forecast", params={"scope": "all"})
    assert page.status_code == 200, page.text
    assert f"Forecast {QUARTER.key}" in page.text
    assert "<td>1,000.00" in page.text and "<td>800.00" in page.text
    assert "no change to show yet" in page.text
    assert others.status_code == 403


def test_planning_routes_are_in_the_openapi_document(
    team: SalesTeam, crm_as: Callable[[Actor], Crm]
) -> None:
    with http_client(crm_as(team.manager)) as client:
        paths = client.get("/api/openapi.json").json()["paths"]
    assert set(paths["/p/sfa/targets"]) == {"get", "post"}
    assert set(paths["/p/sfa/targets/{target_id}"]) == {"get", "put", "delete"}
    assert set(paths["/p/sfa/forecast"]) == {"get"}
    assert "/p/sfa/planning/targets" not in paths  # a web page, not an operation


def test_manager_sets_a_target_from_the_targets_page(
    crm: Crm, team: SalesTeam, crm_as: Callable[[Actor], Crm]
) -> None:
    form = {"scope": "team", "scope_key": "north", "measure": "amount", "value": "9000"}
    with http_client(crm_as(team.manager)) as client:
        page = client.get("/p/sfa/planning/targets", params={"period": QUARTER.key})
        assert 'name="scope_key"' in page.text
        refused = client.post(
            f"/p/sfa/planning/targets?period={QUARTER.key}", data={**form, "currency": "euro"}
        )
        saved = client.post(
            f"/p/sfa/planning/targets?period={QUARTER.key}",
            data={**form, "currency": "EUR"},
            follow_redirects=False,
        )
        again = client.post(
            f"/p/sfa/planning/targets?period={QUARTER.key}", data={**form, "currency": "EUR"}
        )
        listed = client.get("/p/sfa/targets", params={"period": QUARTER.key}).json()
    assert refused.status_code == 422
    assert "ISO 4217" in refused.text and 'value="euro"' in refused.text
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/p/sfa/planning/targets?period={QUARTER.key}"
    assert again.status_code == 409
    assert [(t["target"]["scope_key"], t["target"]["value"]) for t in listed] == [
        ("north", "9000.00")
    ]


def test_salesperson_has_no_target_form_and_may_not_post_one(
    crm: Crm, team: SalesTeam, crm_as: Callable[[Actor], Crm]
) -> None:
    with http_client(crm_as(team.seller)) as client:
        page = client.get("/p/sfa/planning/targets")
        posted = client.post(
            "/p/sfa/planning/targets", data={"scope": "team", "scope_key": "north", "value": "1"}
        )
    assert page.status_code == 200
    assert 'name="scope_key"' not in page.text
    assert posted.status_code == 403
