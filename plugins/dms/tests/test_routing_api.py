"""The routing API: partners answer their own offers only; staff route by hand and work the
fallback queue; bad input is a 422 naming the field."""

from __future__ import annotations

from typing import Any

from crmkit_dms.routing.tables import assignment

from crmkit import Crm
from crmkit.testing import unbounded_inputs


def test_a_partner_user_lists_and_reads_only_its_own_assignments(
    crm: Crm, network: Any, route: Any, client_as: Any
) -> None:
    berlin = route()
    munich = route(postcode="80331")
    bea = client_as(network.bea)
    listed = bea.get("/p/dms/assignments")
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["items"]] == [munich.id]
    assert bea.get(f"/p/dms/assignments/{berlin.id}").status_code == 404
    assert bea.get(f"/p/dms/assignments/{munich.id}").json()["partner_id"] == network.bayern
    # Another partner's offer is 404 to answer as well as to read: nothing tells it exists.
    for action, body in (
        ("accept", {}),
        ("decline", {"reason": "x"}),
        ("outcome", {"outcome": "sold"}),
    ):
        answer = bea.post(f"/p/dms/assignments/{berlin.id}/{action}", json=body)
        assert answer.status_code == 404
    assert bea.get("/p/dms/fallback").status_code == 403
    assert bea.post(f"/p/dms/leads/{berlin.party_id}/route", json={}).status_code in (403, 404)
    with crm.read() as conn:
        assert (
            conn.execute(assignment.select().where(assignment.c.id == berlin.id)).one().state
            == "offered"
        )


def test_a_partner_accepts_and_reports_outcomes_through_the_api(
    crm: Crm, network: Any, route: Any, client_as: Any
) -> None:
    munich = route(postcode="80331")
    bea = client_as(network.bea)
    accepted = bea.post(f"/p/dms/assignments/{munich.id}/accept")
    assert accepted.status_code == 200
    assert accepted.json()["state"] == "accepted"
    assert bea.post(f"/p/dms/assignments/{munich.id}/accept").status_code == 409
    lost = bea.post(f"/p/dms/assignments/{munich.id}/outcome", json={"outcome": "lost"})
    assert lost.status_code == 422
    assert lost.json()["field"] == "reason"
    unknown = bea.post(f"/p/dms/assignments/{munich.id}/outcome", json={"outcome": "sold", "x": 1})
    assert (unknown.status_code, unknown.json()["field"]) == (422, "x")
    sold = bea.post(f"/p/dms/assignments/{munich.id}/outcome", json={"outcome": "sold"})
    assert sold.json()["state"] == "sold"


def test_a_declined_lead_is_offered_on_and_the_decliner_loses_sight_of_it(
    crm: Crm, network: Any, route: Any, client_as: Any
) -> None:
    first = route()
    decliner = network.mia if first.partner_id == network.mitte else network.sepp
    client = client_as(decliner)
    refused = client.post(f"/p/dms/assignments/{first.id}/decline", json={})
    assert (refused.status_code, refused.json()["field"]) == (422, "reason")
    declined = client.post(f"/p/dms/assignments/{first.id}/decline", json={"reason": "busy"})
    assert declined.json()["state"] == "declined"
    # Declined, it is no longer the partner's: gone from its list, 404 to read.
    assert client.get(f"/p/dms/assignments/{first.id}").status_code == 404
    assert client.get("/p/dms/assignments").json()["items"] == []
    staff = client_as(network.router)
    items = staff.get(f"/p/dms/assignments?party_id={first.party_id}").json()["items"]
    assert [(i["state"], i["attempt"]) for i in items] == [("offered", 2), ("declined", 1)]
    assert items[0]["partner_id"] not in (first.partner_id, None)


def test_staff_work_the_fallback_queue_by_routing_by_hand(
    crm: Crm, network: Any, route: Any, client_as: Any
) -> None:
    hamburg = route(postcode="20095")
    staff = client_as(network.router)
    queue = staff.get("/p/dms/fallback").json()["items"]
    assert [(i["id"], i["state"], i["reason"]) for i in queue] == [
        (hamburg.id, "unrouted", "no partner covers the lead's region and brand")
    ]
    bad = staff.post(f"/p/dms/leads/{hamburg.party_id}/route", json={"partner_id": "north"})
    assert (bad.status_code, bad.json()["field"]) == (422, "partner_id")
    routed = staff.post(
        f"/p/dms/leads/{hamburg.party_id}/route", json={"partner_id": network.spandau}
    )
    assert routed.status_code == 201
    assert (routed.json()["partner_id"], routed.json()["previous_id"]) == (
        network.spandau,
        hamburg.id,
    )
    assert staff.get("/p/dms/fallback").json()["items"] == []
    seller = client_as(network.seller)
    assert seller.post(f"/p/dms/leads/{hamburg.party_id}/route", json={}).status_code == 403
    assert staff.get("/p/dms/assignments?state=won").json()["field"] == "state"


def test_every_routing_route_is_in_the_openapi_document(
    crm: Crm, client_as: Any, network: Any
) -> None:
    paths = client_as(network.router).get("/api/openapi.json").json()["paths"]
    for path in (
        "/p/dms/assignments",
        "/p/dms/assignments/{assignment_id}",
        "/p/dms/assignments/{assignment_id}/accept",
        "/p/dms/assignments/{assignment_id}/decline",
        "/p/dms/assignments/{assignment_id}/outcome",
        "/p/dms/leads/{party_id}/route",
        "/p/dms/fallback",
    ):
        assert path in paths, path


def test_every_routing_input_is_bounded(crm: Crm, client_as: Any, network: Any) -> None:
    spec = client_as(network.router).get("/api/openapi.json").json()
    assert unbounded_inputs(spec, "/p/dms/assignments") == []
    assert unbounded_inputs(spec, "/p/dms/leads") == []
