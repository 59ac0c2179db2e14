"""The dashboard's tiles: figures from rollup cells, periods, filters, record rules, drill
links and the page. Rollup cells are written straight into the table (as the feed would)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from crmkit_analytics.dashboard import service
from crmkit_analytics.sources import Metric, Target

from crmkit import Actor, Crm, PermissionDenied, PluginError, PluginInfo, hookimpl, utcnow
from crmkit.testing import add_user, http_client, register_plugin

from .conftest import CrmMaker, Staff, dashboard_feeder

Put = Callable[[list[dict[str, Any]]], None]
MARCH = {"period": "month", "end": "2026-03-31"}


def deals_list(**query: Any) -> str:
    return "/p/sfa/deals?" + "&".join(f"{k}={v}" for k, v in sorted(query.items()) if v)


METRICS = (
    Metric("sfa.pipeline", "Open pipeline", unit="amount", drill=deals_list),
    Metric("sfa.weighted", "Weighted pipeline", unit="amount"),
    Metric("sfa.won", "Won", unit="amount"),
    Metric("sfa.orders", "Orders", unit="amount"),
    Metric("campaigns.sent", "Sent"),
    Metric("campaigns.responses", "Responses"),
    Metric("campaigns.revenue", "Attributed revenue", unit="amount"),
    Metric("campaigns.cost", "Cost", unit="amount"),
    Metric("service.opened", "Cases opened"),
    Metric("service.open", "Open cases"),
    Metric("service.closed", "Cases resolved"),
    Metric("service.sla_met", "SLA met"),
    Metric("service.sla_breached", "SLA breached"),
    Metric("surveys.promoters", "Promoters"),
    Metric("surveys.passives", "Passives"),
    Metric("surveys.detractors", "Detractors"),
)
SALES_TARGETS = (
    Target("sfa.orders", date(2026, 1, 1), date(2026, 3, 31), 9000.0, "Q1 DE", "DE-10"),
    Target("sfa.orders", date(2026, 3, 1), date(2026, 3, 31), 500.0, "March FR", "FR-75"),
    # Set against a count, or one product group: not the revenue's target.
    Target("sfa.orders", date(2026, 3, 1), date(2026, 3, 31), 40.0, "Orders", measure="count"),
    Target("sfa.orders", date(2026, 3, 1), date(2026, 3, 31), 99.0, "Tyres", dimension="tyres"),
)
PLANS = (
    Target("sfa.orders", date(2026, 3, 1), date(2026, 3, 31), 3000.0, "Spring plan: revenue"),
    Target(
        "campaigns.sent",
        date(2026, 3, 1),
        date(2026, 3, 31),
        2000.0,
        "Spring plan: reach",
        measure="count",
    ),
)


@pytest.fixture
def feeder() -> PluginInfo:
    return dashboard_feeder(METRICS, SALES_TARGETS)


@pytest.fixture
def planner() -> PluginInfo:
    """A second source with marketing plans only."""
    return dashboard_feeder((), PLANS, name="planner")


@pytest.fixture
def crm(make_analytics: CrmMaker, feeder: PluginInfo, planner: PluginInfo) -> Crm:
    """Analytics with a source publishing every metric the tiles read, and one of plans."""
    return make_analytics(plugins=(feeder, planner))


@pytest.fixture
def client_as(
    crm: Crm, make_crm: Callable[..., Crm], feeder: PluginInfo, planner: PluginInfo
) -> Callable[[Actor], Any]:
    """An HTTP client of ``crm`` signed on as an actor (the kernel's ``client_as`` finds
    plugins by name, which a throwaway feeder has not)."""

    def make(actor: Actor) -> Any:
        class SignOn:
            @hookimpl
            def actor_from_request(self, app: Crm, request: Any) -> Actor:
                return actor

        app = make_crm(
            plugins=["analytics", feeder, planner, register_plugin(SignOn(), name="signon")],
            settings=crm.settings,
            create_tables=False,
        )
        return http_client(app)

    return make


def tile(client: Any, name: str, **query: str) -> dict[str, Any]:
    answer = client.get(f"/p/analytics/tiles/{name}", params={**MARCH, **query})
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def bars(found: dict[str, Any], chart: str) -> dict[str, float]:
    [match] = [c for c in found["charts"] if c["title"] == chart]
    return {f["label"]: f["value"] for f in match["figures"]}


def bars_of(found: dict[str, Any], chart: str) -> list[dict[str, Any]]:
    [match] = [c for c in found["charts"] if c["title"] == chart]
    figures: list[dict[str, Any]] = match["figures"]
    return figures


def headline(found: dict[str, Any]) -> dict[str, float]:
    return {f["label"]: f["value"] for f in found["headline"]}


def test_pipeline_by_stage_of_deals_expected_to_close_in_the_period(
    put_rollups: Put, staff: Staff, client_as: Any
) -> None:
    def deal(day: date, stage: str, amount: float) -> dict[str, Any]:
        return {
            "metric": "sfa.pipeline",
            "day": day,
            "dimension": stage,
            "count": 1,
            "amount": amount,
        }

    put_rollups(
        [
            deal(date(2026, 3, 5), "default/proposal", 3000.0),
            deal(date(2026, 3, 28), "default/negotiation", 2000.0),
            deal(date(2026, 2, 10), "default/negotiation", 700.0),  # February: compared
            deal(date(2026, 4, 2), "default/proposal", 900.0),  # April: not March's
            {
                "metric": "sfa.weighted",
                "day": date(2026, 3, 5),
                "dimension": "default/proposal",
                "amount": 1500.0,
            },
            {"metric": "sfa.won", "day": date(2026, 3, 9), "dimension": "web", "amount": 800.0},
        ]
    )
    with client_as(staff.admin) as client:
        found = tile(client, "pipeline", compare="true")
    stages = bars_of(found, "Open deals by stage, expected to close in the period")
    assert {f["label"]: (f["value"], f["previous"]) for f in stages} == {
        "default/proposal": (3000.0, 0.0),
        "default/negotiation": (2000.0, 700.0),
    }
    assert headline(found) == {"Open pipeline": 5000.0, "Weighted": 1500.0, "Won": 800.0}
    assert found["previous_start"] == "2026-02-01" and found["previous_end"] == "2026-02-28"


def test_flows_count_only_the_period_and_compare_with_the_one_before(
    put_rollups: Put, staff: Staff, client_as: Any
) -> None:
    today = utcnow().date()
    put_rollups(
        [
            {"metric": "leads.created", "day": date(2026, 3, 1), "dimension": "web", "count": 4},
            {"metric": "leads.created", "day": date(2026, 3, 31), "dimension": "fair", "count": 2},
            {"metric": "leads.created", "day": date(2026, 2, 14), "dimension": "web", "count": 7},
            {"metric": "leads.created", "day": date(2026, 4, 1), "dimension": "web", "count": 9},
            # Leads open today, on the day each came in: their age today.
            {"metric": "leads.open", "day": today - timedelta(1), "dimension": "web", "count": 2},
            {"metric": "leads.open", "day": today - timedelta(11), "dimension": "fair", "count": 1},
            {"metric": "leads.open", "day": today - timedelta(400), "dimension": "web", "count": 3},
            {"metric": "leads.open", "day": today + timedelta(2), "dimension": "web", "count": 50},
            {
                "metric": "leads.uncontacted",
                "day": today - timedelta(1),
                "dimension": "web",
                "count": 1,
            },
        ]
    )
    with client_as(staff.admin) as client:
        found = tile(client, "leads", compare="true")
        quarter = tile(client, "leads", period="quarter")
        now = tile(client, "leads", end=today.isoformat())
    assert bars(found, "New leads by source") == {"web": 4, "fair": 2}
    previous = {f["label"]: f["previous"] for f in found["charts"][0]["figures"]}
    assert previous == {"web": 7, "fair": 0}
    # What was open on March 31st is not kept: a past period shows no open leads, and says so.
    assert headline(found) == {
        "New leads": 6,
        "Open leads today": None,
        "Not yet contacted today": None,
    }
    assert [c["title"] for c in found["charts"]] == ["New leads by source"]
    assert found["notes"] and "as of today" in found["notes"][0]
    assert bars(now, "Open leads by age") == {
        "0-2 days": 2,
        "3-7 days": 0,
        "8-30 days": 1,
        "31-90 days": 0,
        "over 90 days": 3,
    }
    assert headline(now)["Open leads today"] == 6
    assert headline(now)["Not yet contacted today"] == 1
    assert now["notes"] == []
    assert headline(quarter)["New leads"] == 13
    assert (quarter["start"], quarter["end"]) == ("2026-01-01", "2026-03-31")


def test_campaign_roi_and_plan_budget(put_rollups: Put, staff: Staff, client_as: Any) -> None:
    day = date(2026, 3, 5)
    put_rollups(
        [
            {"metric": "campaigns.sent", "day": day, "dimension": "spring", "count": 1000},
            {"metric": "campaigns.responses", "day": day, "dimension": "spring", "count": 80},
            {"metric": "campaigns.revenue", "day": day, "dimension": "spring", "amount": 3000.0},
            {"metric": "campaigns.cost", "day": day, "dimension": "spring", "amount": 1000.0},
            {"metric": "campaigns.revenue", "day": day, "dimension": "mailing", "amount": 100.0},
            {"metric": "campaigns.cost", "day": day, "dimension": "mailing", "amount": 200.0},
        ]
    )
    with client_as(staff.admin) as client:
        found = tile(client, "campaigns")
    assert bars(found, "ROI by campaign") == {"spring": 200.0, "mailing": -50.0}
    figures = headline(found)
    assert figures["Sent"] == 1000 and figures["Responses"] == 80
    assert figures["ROI"] == round(100 * (3100 - 1200) / 1200, 1)
    [sent] = [f for f in found["headline"] if f["label"] == "Sent"]
    assert sent["target"] == 2000.0  # the marketing plan's reach


def test_service_load_and_sla_compliance(put_rollups: Put, staff: Staff, client_as: Any) -> None:
    today = utcnow().date()
    put_rollups(
        [
            {
                "metric": "service.opened",
                "day": date(2026, 3, 2),
                "dimension": "billing",
                "count": 5,
            },
            {
                "metric": "service.opened",
                "day": date(2026, 3, 3),
                "dimension": "repair",
                "count": 3,
            },
            {
                "metric": "service.closed",
                "day": date(2026, 3, 3),
                "dimension": "billing",
                "count": 4,
            },
            {"metric": "service.sla_met", "day": date(2026, 3, 3), "count": 9},
            {"metric": "service.sla_breached", "day": date(2026, 3, 4), "count": 1},
            # The backlog today, on the day each open case was opened: its age today.
            {"metric": "service.open", "day": today - timedelta(1), "count": 2},
            {"metric": "service.open", "day": today - timedelta(120), "count": 1},
        ]
    )
    with client_as(staff.admin) as client:
        found = tile(client, "service")
        now = tile(client, "service", end=today.isoformat())
    # March is past: its backlog then is not kept, so none is shown (not today's as March's).
    assert headline(found) == {
        "Opened": 8,
        "Resolved": 4,
        "Open now": None,
        "SLA compliance": 90.0,
    }
    assert headline(now)["Open now"] == 3
    [past] = [f for f in found["headline"] if f["label"] == "Open now"]
    assert past["drill"] is None  # no list behind a figure not shown
    assert bars(now, "Open cases by age")["0-2 days"] == 2
    assert bars(now, "Open cases by age")["over 90 days"] == 1
    line = bars(found, "Cases opened (and resolved)")
    assert len(line) == 31 and line["2026-03-02"] == 5 and line["2026-03-03"] == 3
    assert bars(found, "Cases opened by category") == {"billing": 5, "repair": 3}
    [gauge] = [c for c in found["charts"] if c["kind"] == "gauge"]
    assert (gauge["low"], gauge["high"], gauge["figures"][0]["value"]) == (0, 100, 90.0)


def test_nps_from_promoters_and_detractors_overall_and_by_survey(
    put_rollups: Put, staff: Staff, client_as: Any
) -> None:
    day = date(2026, 3, 20)

    def answers(metric: str, survey: str, count: int) -> dict[str, Any]:
        return {"metric": f"surveys.{metric}", "day": day, "dimension": survey, "count": count}

    put_rollups(
        [
            answers("promoters", "#1 After repair", 6),
            answers("passives", "#1 After repair", 2),
            answers("detractors", "#1 After repair", 2),
            answers("detractors", "#2 Delivery", 1),
            {**answers("promoters", "#1 After repair", 9), "day": date(2026, 2, 3)},
        ]
    )
    with client_as(staff.admin) as client:
        found = tile(client, "nps", compare="true")
    assert headline(found) == {"NPS": round(100 * (6 - 3) / 11, 1), "Answers": 11}
    assert found["headline"][0]["previous"] == 100.0  # February: promoters only
    assert bars(found, "NPS by survey") == {"#1 After repair": 40.0, "#2 Delivery": -100.0}
    assert bars(found, "Answers") == {"Promoters": 6, "Passives": 2, "Detractors": 3}
    [gauge] = [c for c in found["charts"] if c["kind"] == "gauge"]
    assert (gauge["low"], gauge["high"]) == (-100, 100)


def test_revenue_against_prorated_targets_with_the_gap(
    put_rollups: Put, staff: Staff, client_as: Any
) -> None:
    put_rollups(
        [
            {
                "metric": "sfa.orders",
                "day": date(2026, 3, 9),
                "amount": 2500.0,
                "territory": "DE-10115",
            },
            {
                "metric": "sfa.orders",
                "day": date(2026, 3, 12),
                "amount": 400.0,
                "territory": "FR-75001",
            },
        ]
    )
    with client_as(staff.admin) as client:
        found = tile(client, "revenue")
        german = tile(client, "revenue", territory="DE-10")
    # Q1's 9000 spread over 90 days: 31 of them in March; FR's March target whole.
    march_share = round(9000 * 31 / 90, 2)
    figures = headline(found)
    assert figures["Revenue"] == 2900.0
    assert figures["Target"] == pytest.approx(march_share + 500, abs=0.01)
    assert figures["Gap to target"] == pytest.approx(2900 - march_share - 500, abs=0.01)
    assert (figures["Plan"], figures["Gap to plan"], figures["Plan attained"]) == (3000, -100, 96.7)
    line = bars_of(found, "Revenue against target")
    [against] = [c["against"] for c in found["charts"] if c["title"] == "Revenue against target"]
    assert len(line) == len(against) == 31
    assert sum(f["value"] for f in against) == pytest.approx(march_share + 500, abs=0.1)
    assert headline(german)["Revenue"] == 2500.0
    assert headline(german)["Target"] == pytest.approx(march_share, abs=0.01)


def cells_of_three_owners(put_rollups: Put, staff: Staff, colleague: int) -> None:
    day = date(2026, 3, 3)
    put_rollups(
        [
            {
                "metric": "leads.created",
                "day": day,
                "dimension": "berlin",
                "territory": "DE-10115",
                "count": 1,
            },
            {
                "metric": "leads.created",
                "day": day,
                "dimension": "paris",
                "territory": "FR-75001",
                "team": "west",
                "count": 10,
            },
            {
                "metric": "leads.created",
                "day": day,
                "dimension": "paris-own",
                "territory": "FR-75001",
                "team": "west",
                "owner_id": staff.outsider.user_id,
                "count": 100,
            },
            {
                "metric": "leads.created",
                "day": day,
                "dimension": "munich",
                "territory": "DE-80331",
                "owner_id": colleague,
                "count": 1000,
            },
        ]
    )


def test_each_user_sees_only_figures_of_records_they_may_see(
    crm: Crm, put_rollups: Put, staff: Staff, client_as: Any
) -> None:
    colleague = add_user(crm, "lea", "sales", team="north").user_id
    assert colleague is not None
    cells_of_three_owners(put_rollups, staff, colleague)
    with client_as(staff.admin) as client:
        assert headline(tile(client, "leads"))["New leads"] == 1111
    with client_as(staff.manager) as client:  # DE-10 and team north: Berlin and Mia's Munich
        assert bars(tile(client, "leads"), "New leads by source") == {"munich": 1000, "berlin": 1}
        options = client.get("/p/analytics/tiles").json()
    assert (options["territories"], options["teams"]) == (["DE-10"], ["north"])
    # A sales rep (were they given the dashboard) counts their own and their territory's.
    filters = service.filters_of(MARCH)
    with crm.read() as conn:
        found = service.tile(crm, conn, staff.outsider, "leads", filters)
        nothing = service.tile(crm, conn, staff.agent, "leads", filters)
    assert {f.label: f.value for f in found.charts[0].figures} == {"paris-own": 100, "paris": 10}
    assert [f.value for c in nothing.charts for f in c.figures if f.value] == []
    assert [f.value for f in nothing.headline if f.value] == []


def test_a_forged_filter_is_refused_never_answered_with_others_figures(
    crm: Crm, put_rollups: Put, staff: Staff, client_as: Any
) -> None:
    cells_of_three_owners(put_rollups, staff, staff.admin.user_id or 0)
    with client_as(staff.manager) as client:
        for query in ({"territory": "FR-75"}, {"territory": "DE"}, {"team": "west"}):
            answer = client.get("/p/analytics/tiles/leads", params={**MARCH, **query})
            assert answer.status_code == 403, query
            assert "paris" not in answer.text
        narrowed = tile(client, "leads", territory="DE-10115")
        page = client.get("/p/analytics/", params={**MARCH, "territory": "FR-75"})
    assert bars(narrowed, "New leads by source") == {"berlin": 1}
    assert page.status_code == 403 and "paris" not in page.text
    with client_as(staff.outsider) as client:  # a sales rep holds no dashboard permission
        assert client.get("/p/analytics/tiles/leads").status_code == 403
        assert client.get("/p/analytics/").status_code == 403
    filters = service.filters_of({**MARCH, "territory": "DE-10"})
    with crm.read() as conn, pytest.raises(PermissionDenied):
        service.tile(crm, conn, staff.outsider, "leads", filters)


def test_figures_drill_down_to_the_list_behind_them_with_the_same_filters(
    put_rollups: Put, staff: Staff, client_as: Any
) -> None:
    day = date(2026, 3, 3)
    put_rollups(
        [
            {
                "metric": "sfa.pipeline",
                "day": day,
                "dimension": "proposal",
                "territory": "DE-10115",
                "team": "north",
                "amount": 10.0,
            },
            {
                "metric": "service.opened",
                "day": day,
                "dimension": "web",
                "territory": "DE-10115",
                "team": "north",
                "count": 3,
            },
            {
                "metric": "service.opened",
                "day": day,
                "dimension": "web",
                "territory": "FR-75001",
                "team": "west",
                "count": 5,
            },
        ]
    )
    with client_as(staff.manager) as client:
        pipeline = tile(client, "pipeline", territory="DE-10", team="north")
        cases = tile(client, "service", territory="DE-10")
        [web] = bars_of(cases, "Cases opened by category")
        drilled = client.get(web["drill"])
        assert client.get(web["drill"].replace("DE-10", "FR-75")).status_code == 403
    # The source's own list, filtered the same way.
    [stage] = pipeline["charts"][0]["figures"]
    assert stage["drill"] == (
        "/p/sfa/deals?dimension=proposal&end=2026-03-31&start=2026-03-01&team=north&territory=DE-10"
    )
    # No list of the source's: the dashboard's own, of the rollup cells in scope.
    assert urlsplit(web["drill"]).path == "/p/analytics/drill"
    assert parse_qs(urlsplit(web["drill"]).query) == {
        "metric": ["service.opened"],
        "start": ["2026-03-01"],
        "end": ["2026-03-31"],
        "dimension": ["web"],
        "territory": ["DE-10"],
    }
    assert drilled.status_code == 200
    assert "DE-10115" in drilled.text and "FR-75001" not in drilled.text


def test_page_draws_accessible_svg_charts_with_table_fallback_and_menu(
    put_rollups: Put, staff: Staff, client_as: Any
) -> None:
    put_rollups(
        [
            {"metric": "surveys.promoters", "day": date(2026, 3, 2), "dimension": "#1", "count": 3},
            {
                "metric": "leads.created",
                "day": date(2026, 3, 2),
                "dimension": "<script>",
                "count": 3,
            },
        ]
    )
    with client_as(staff.admin) as client:
        page = client.get("/p/analytics/", params=MARCH)
        home = client.get("/")
    assert page.status_code == 200, page.text
    html = page.text
    assert html.count("<svg") >= 3 and 'role="img"' in html and "<title id=" in html
    assert "<details>" in html and "Net promoter score" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "cdn" not in html.lower()
    assert 'href="/p/analytics/"' in home.text


def test_bad_filters_are_refused_naming_the_field(staff: Staff, client_as: Any) -> None:
    with client_as(staff.admin) as client:
        for query, field in (
            ({"period": "week"}, "period"),
            ({"period": "custom", "start": "2026-13-01"}, "start"),
            ({"period": "custom", "start": "2026-03-05", "end": "2026-03-01"}, "end"),
            ({"compare": "maybe"}, "compare"),
            ({"colour": "red"}, "colour"),
        ):
            answer = client.get("/p/analytics/tiles/leads", params=query)
            assert answer.status_code == 422, query
            assert answer.json()["field"] == field
        assert client.get("/p/analytics/tiles/weather").status_code == 404
        page = client.get("/p/analytics/", params={"period": "month", "start": "2026-03-01"})
    assert page.status_code == 422
    assert "start: only a custom period takes a first day" in page.text
    assert 'id="tile-revenue"' in page.text  # this month's figures, shown again


def test_a_tile_shows_only_when_a_source_publishes_its_metrics(
    make_analytics: CrmMaker,
) -> None:
    only_nps = make_analytics(
        plugins=(dashboard_feeder((Metric("surveys.promoters", "Promoters"),)),)
    )
    assert service.shown_tiles(only_nps) == ["leads", "nps"]  # leads: analytics' own source
    renamed = make_analytics(
        analytics={
            "dashboard": {"metrics": {"promoters": "polls.fans"}, "hidden_tiles": ["leads"]}
        },
        plugins=(dashboard_feeder((Metric("polls.fans", "Fans"),), name="polls"),),
    )
    assert service.shown_tiles(renamed) == ["nps"]


@pytest.mark.parametrize(
    ("dashboard", "key"),
    [
        ({"metrics": {"weather": "x.y"}}, "metrics"),
        ({"lead_age_bands": [30, 7]}, "lead_age_bands"),
        ({"hidden_tiles": ["weather"]}, "hidden_tiles"),
    ],
)
def test_bad_settings_are_refused_naming_the_key(
    make_analytics: CrmMaker, dashboard: dict[str, Any], key: str
) -> None:
    with pytest.raises(PluginError) as refused:
        make_analytics(analytics={"dashboard": dashboard})
    assert f"plugins.analytics.dashboard.{key}" in str(refused.value)


def test_home_page_widget_shows_this_months_headlines_to_who_may_see_them(
    put_rollups: Put, staff: Staff, client_as: Any
) -> None:
    today = utcnow().date()
    put_rollups(
        [
            {"metric": "sfa.orders", "day": today, "amount": 1234.0, "territory": "DE-10115"},
            {"metric": "sfa.orders", "day": today, "amount": 5000.0, "territory": "FR-75001"},
        ]
    )
    with client_as(staff.admin) as client:
        admin = client.get("/").text
    with client_as(staff.manager) as client:
        manager = client.get("/").text
    with client_as(staff.outsider) as client:
        outsider = client.get("/").text
    assert "This month at a glance" in admin and "Revenue: <a" in admin and "6,234" in admin
    assert "1,234" in manager and "6,234" not in manager and "5,000" not in manager
    assert "This month at a glance" not in outsider
