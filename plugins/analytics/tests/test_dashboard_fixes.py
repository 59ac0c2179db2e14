"""The dashboard: targets published at several levels counted once, dates at the edge of the
calendar refused naming the field, rates of nothing shown as no value, and stocks (backlogs)
never given for a period they were not kept for."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from crmkit_analytics.sources import Target

from crmkit import Actor, ConfigurationError, Crm, PluginInfo, hookimpl, utcnow
from crmkit.testing import http_client, register_plugin

from .conftest import CrmMaker, Staff, dashboard_feeder
from .test_dashboard_tiles import MARCH, METRICS, Put, headline, tile

NO_VALUE = "\u2013"  # how the page shows a figure with no value

MARCH_FIRST, MARCH_LAST = date(2026, 3, 1), date(2026, 3, 31)
# As sfa publishes them: each rep's target and their team's, the sum of the reps'.
SALES = (
    Target("sfa.orders", MARCH_FIRST, MARCH_LAST, 1000.0, "Rep a", owner_id=1001),
    Target("sfa.orders", MARCH_FIRST, MARCH_LAST, 2000.0, "Rep b", owner_id=1002),
    Target("sfa.orders", MARCH_FIRST, MARCH_LAST, 3000.0, "Team north", team="north"),
)
# As campaigns publishes them: a company plan and one territory's part of it.
PLANS = (
    Target("sfa.orders", MARCH_FIRST, MARCH_LAST, 4000.0, "Plan: revenue"),
    Target("sfa.orders", MARCH_FIRST, MARCH_LAST, 500.0, "Plan: revenue DE", "DE"),
    Target("leads.created", MARCH_FIRST, MARCH_LAST, 150.0, "Plan: leads", measure="count"),
    Target("leads.created", MARCH_FIRST, MARCH_LAST, 20.0, "Plan: leads DE", "DE", measure="count"),
)


@pytest.fixture
def feeder() -> PluginInfo:
    return dashboard_feeder(METRICS, SALES)


@pytest.fixture
def planner() -> PluginInfo:
    return dashboard_feeder((), PLANS, name="planner")


@pytest.fixture
def crm(make_analytics: CrmMaker, feeder: PluginInfo, planner: PluginInfo) -> Crm:
    return make_analytics(plugins=(feeder, planner))


@pytest.fixture
def client_as(
    crm: Crm, make_crm: Callable[..., Crm], feeder: PluginInfo, planner: PluginInfo
) -> Callable[[Actor], Any]:
    """An HTTP client signed on as an actor, with this module's feeders."""

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


def test_a_target_published_at_several_levels_is_counted_once(
    put_rollups: Put, staff: Staff, client_as: Any
) -> None:
    put_rollups([{"metric": "sfa.orders", "day": date(2026, 3, 9), "amount": 2250.0}])
    with client_as(staff.admin) as client:
        revenue = tile(client, "revenue")
        leads = tile(client, "leads", period="year", end="2026-12-31")
    figures = headline(revenue)
    # The team's 3000, not 3000 + its reps' 1000 + 2000; the company plan, not + DE's part.
    assert figures["Target"] == 3000.0 and figures["Target attained"] == 75.0
    assert figures["Gap to target"] == -750.0
    assert figures["Plan"] == 4000.0
    [line] = [c for c in revenue["charts"] if c["title"] == "Revenue against target"]
    assert sum(f["value"] for f in line["against"]) == pytest.approx(3000.0, abs=1)
    [new] = [f for f in leads["headline"] if f["label"] == "New leads"]
    assert new["target"] == 150.0


def test_a_manager_gets_their_own_level(put_rollups: Put, staff: Staff, client_as: Any) -> None:
    with client_as(staff.manager) as client:  # team north, territory DE-10
        figures = headline(tile(client, "revenue"))
    assert figures["Target"] == 3000.0
    # Neither the company plan nor DE's part of it (DE-10 is all they see).
    assert "Plan" not in figures


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/p/analytics/tiles/pipeline", {"end": "0001-01-01", "compare": "true"}, "end"),
        ("/p/analytics/tiles/leads", {"period": "year", "end": "0001-12-31"}, "end"),
        ("/p/analytics/tiles/service", {"start": "0001-01-01", "end": "0001-02-01"}, "start"),
        ("/p/analytics/tiles/nps", {"start": "1899-12-31", "compare": "true"}, "start"),
        ("/p/analytics/drill", {"metric": "sfa.won", "start": "0001-01-01"}, "start"),
    ],
)
def test_days_before_1900_are_refused_naming_the_field(
    staff: Staff, client_as: Any, path: str, query: dict[str, str], field: str
) -> None:
    with client_as(staff.admin) as client:
        answer = client.get(path, params=query)
        page = client.get("/p/analytics/", params=query) if "tiles" in path else None
    assert answer.status_code == 422, answer.text
    if path.startswith("/p/analytics/tiles"):
        assert answer.json()["field"] == field
    else:
        assert field in answer.text
    if page is not None:
        assert page.status_code == 422 and field in page.text


def test_the_first_day_allowed_is_answered(staff: Staff, client_as: Any) -> None:
    with client_as(staff.admin) as client:
        for name in ("pipeline", "leads", "service", "nps", "revenue"):
            answer = client.get(
                f"/p/analytics/tiles/{name}", params={"end": "1900-01-01", "compare": "true"}
            )
            assert answer.status_code == 200, (name, answer.text)


def test_rates_of_nothing_measured_have_no_value(
    put_rollups: Put, staff: Staff, client_as: Any
) -> None:
    put_rollups([{"metric": "service.opened", "day": date(2026, 3, 2), "count": 4}])
    with client_as(staff.admin) as client:
        service = tile(client, "service", compare="true")
        nps = tile(client, "nps", compare="true")
        page = client.get("/p/analytics/", params=MARCH)
    assert headline(service)["SLA compliance"] is None
    assert headline(nps) == {"NPS": None, "Answers": 0}
    [gauge] = [c for c in nps["charts"] if c["kind"] == "gauge"]
    assert gauge["figures"][0]["value"] is None
    assert page.status_code == 200
    html = page.text
    assert f"SLA compliance: {NO_VALUE} on a scale" in html
    assert f"NPS: {NO_VALUE} on a scale" in html


def test_a_stock_has_no_value_for_the_period_before(
    put_rollups: Put, staff: Staff, client_as: Any
) -> None:
    today = utcnow().date()
    put_rollups(
        [
            {"metric": "service.open", "day": today - timedelta(3), "count": 5},
            {"metric": "service.opened", "day": today, "count": 1},
        ]
    )
    with client_as(staff.admin) as client:
        now = tile(client, "service", end=today.isoformat(), compare="true")
    [open_now] = [f for f in now["headline"] if f["label"] == "Open now"]
    assert (open_now["value"], open_now["previous"]) == (5.0, None)
    [opened] = [f for f in now["headline"] if f["label"] == "Opened"]
    assert opened["previous"] == 0.0  # a flow still compares
    assert now["notes"]
    # The list behind a stock reaches back to the first day, however long ago.
    assert open_now["drill"].startswith("/p/analytics/drill?")
    with client_as(staff.admin) as client:
        listed = client.get(open_now["drill"])
    assert listed.status_code == 200, listed.text
    assert (today - timedelta(3)).isoformat() in listed.text


@pytest.mark.parametrize(
    ("part", "settings", "key"),
    [
        ("dashboard", {"metrics": {"pipeline": "no.such"}}, "dashboard.metrics.pipeline"),
        ("forecasts", {"won_metric": "nope.metric"}, "forecasts.won_metric"),
        ("forecasts", {"sales_targets": ["sfa.orders", "bogus"]}, "forecasts.sales_targets[1]"),
    ],
)
def test_a_misspelt_metric_stops_start_up_naming_the_key(
    make_analytics: Any, feeder: PluginInfo, part: str, settings: dict[str, Any], key: str
) -> None:
    crm = make_analytics(analytics={part: settings}, plugins=(feeder,))
    with pytest.raises(ConfigurationError) as refused:
        crm.start()
    assert refused.value.key == f"plugins.analytics.{key}"
    assert "no installed plugin publishes" in str(refused.value)


def test_published_metrics_and_defaults_start(make_analytics: Any, feeder: PluginInfo) -> None:
    crm = make_analytics(
        analytics={
            "dashboard": {"metrics": {"pipeline": "sfa.weighted"}},
            "forecasts": {"won_metric": "sfa.orders", "lead_targets": ["campaigns.leads"]},
        },
        plugins=(feeder,),
    )
    crm.start()
