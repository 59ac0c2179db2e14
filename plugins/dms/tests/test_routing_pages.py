"""Staff pages: routed leads by state, and the fallback queue worked by hand."""

from __future__ import annotations

from typing import Any

from crmkit import Crm


def test_the_routed_leads_page_lists_what_the_user_sees(
    crm: Crm, network: Any, route: Any, client_as: Any
) -> None:
    berlin = route()
    queued = route(postcode="20095")
    http = client_as(network.router)
    page = http.get("/p/dms/page/assignments")
    assert page.status_code == 200
    assert f"/parties/{berlin.party_id}" in page.text and "fallback queue" in page.text
    offered = http.get("/p/dms/page/assignments?state=offered")
    assert f"/parties/{berlin.party_id}" in offered.text
    assert f"/parties/{queued.party_id}" not in offered.text
    assert http.get("/p/dms/page/assignments?state=won").status_code == 422


def test_the_fallback_queue_routes_a_waiting_lead_by_hand(
    crm: Crm, network: Any, route: Any, client_as: Any
) -> None:
    queued = route(postcode="20095")
    http = client_as(network.router)
    page = http.get("/p/dms/page/fallback")
    assert page.status_code == 200
    assert "no partner covers the lead&#39;s region and brand" in page.text
    assert "Autohaus Bayern (bayern)" in page.text
    refused = http.post(f"/p/dms/page/fallback/{queued.id}/route", data={"partner_id": "x"})
    assert refused.status_code == 422 and "partner_id" in refused.text
    posted = http.post(
        f"/p/dms/page/fallback/{queued.id}/route",
        data={"partner_id": str(network.bayern)},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    again = http.get("/p/dms/page/fallback")
    assert "No lead waits in the queue." in again.text
    gone = http.post(f"/p/dms/page/fallback/{queued.id}/route", data={"partner_id": ""})
    assert gone.status_code == 422 and "no longer waits" in gone.text


def test_partner_users_and_sales_reps_do_not_get_the_queue(
    crm: Crm, network: Any, route: Any, client_as: Any
) -> None:
    queued = route(postcode="20095")
    for actor in (network.bea, network.seller):
        http = client_as(actor)
        assert http.get("/p/dms/page/fallback").status_code == 403
        answer = http.post(f"/p/dms/page/fallback/{queued.id}/route", data={"partner_id": ""})
        assert answer.status_code == 403
