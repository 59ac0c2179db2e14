"""The dashboard with analytics alone: only its own leads tile, and a note naming which
plugins feed the other tiles."""

from __future__ import annotations

from typing import Any

from crmkit.testing import check_plugin

from .conftest import Staff


def test_dashboard_alone_says_which_plugins_feed_the_other_tiles(
    staff: Staff, client_as: Any
) -> None:
    with client_as(staff.admin) as client:
        page = client.get("/p/analytics/")
        overview = client.get("/p/analytics/tiles")
        pipeline = client.get("/p/analytics/tiles/pipeline")
    assert page.status_code == 200, page.text
    assert "<strong>sfa</strong>: Pipeline by stage, Revenue against targets" in page.text
    assert "<strong>surveys</strong>: Net promoter score" in page.text
    assert "analytics (kernel leads)</strong>" not in page.text
    assert overview.json()["tiles"] == [{"name": "leads", "title": "Leads by source and age"}]
    assert pipeline.status_code == 404


def test_only_admins_and_managers_see_the_dashboard(staff: Staff, client_as: Any) -> None:
    for actor, status in ((staff.manager, 200), (staff.outsider, 403), (staff.agent, 403)):
        with client_as(actor) as client:
            assert client.get("/p/analytics/").status_code == status


def test_plugin_honours_the_contract_with_the_dashboard() -> None:
    check_plugin("analytics")


def test_dashboard_is_in_the_openapi_document(staff: Staff, client_as: Any) -> None:
    with client_as(staff.admin) as client:
        paths = client.get("/api/openapi.json").json()["paths"]
    tile = paths["/p/analytics/tiles/{tile}"]["get"]
    assert {p["name"] for p in tile["parameters"]} >= {"period", "territory", "team", "compare"}
    assert "/p/analytics/tiles" in paths
