"""The dashboard in headless Chromium: charts drawn without script or CSP violation, and a
bar that leads to the list behind it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from crmkit_analytics.sources import Metric

from crmkit import Actor, Crm, hookimpl
from crmkit.testing import chromium, register_plugin, require_browser, served

from .conftest import CrmMaker, Staff, dashboard_feeder

require_browser()


@pytest.fixture
def signed_on(make_analytics: CrmMaker, staff: Staff, crm: Crm) -> Crm:
    """The test's CRM (its database), with a feeder of cases and every request as the admin."""
    admin: Actor = staff.admin

    class SignOn:
        @hookimpl
        def actor_from_request(self, app: Crm, request: Any) -> Actor:
            return admin

    feeder = dashboard_feeder((Metric("service.opened", "Cases opened"),))
    return make_analytics(
        plugins=(feeder, register_plugin(SignOn(), name="signon")), create_tables=False
    )


@pytest.fixture
def served_at(signed_on: Crm) -> Iterator[str]:
    with served(signed_on) as url:
        yield url


@pytest.fixture
def page() -> Iterator[Any]:
    with chromium() as browser:
        yield browser.new_page()


def test_dashboard_draws_its_charts_and_a_bar_drills_down(
    put_rollups: Any, served_at: str, page: Any
) -> None:
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
                "count": 2,
            },
        ]
    )
    complaints: list[str] = []
    page.on("console", lambda message: complaints.append(message.text))
    page.goto(f"{served_at}/p/analytics/?period=month&end=2026-03-31")
    tile = page.locator("#tile-service")
    assert tile.locator("svg[role=img]").count() == 2
    assert tile.locator("svg").first.is_visible()
    assert tile.locator("svg").first.bounding_box()["width"] > 100
    assert complaints == []  # no Content-Security-Policy violation, no script error
    tile.locator("svg.chart-bars a").first.click()
    page.wait_for_url("**/p/analytics/drill?**")
    assert "billing" in page.locator("table").inner_text()
    assert "2026-03-02" in page.locator("table").inner_text()
