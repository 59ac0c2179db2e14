"""The vehicles API: vehicles, owners, repair orders; refusals and the record rules."""

from __future__ import annotations

from typing import Any

import pytest

from crmkit import Crm

VIN = "1M8GDM9AXKP042788"
ORDER = {
    "vin": VIN,
    "ro_number": "RO-77",
    "opened_at": "2026-10-01T08:00:00+00:00",
    "closed_at": "2026-10-01T12:00:00+00:00",
    "mileage": 61_000,
    "lines": [{"description": "Annual service", "labour": "120", "parts": "80.10"}],
}


@pytest.fixture
def owned(crm: Crm, staff: Any, new_party: Any, client_as: Any) -> dict[str, int]:
    """A Berlin customer (DE-10) who owns the car and had it serviced: ids."""
    party = new_party()
    with client_as(staff.admin) as client:
        made = client.put("/p/dms/vehicles", json={"vin": VIN, "make": "Motor Coach"})
        assert made.status_code == 200, made.text
        vehicle_id = made.json()["id"]
        owner = client.post(
            f"/p/dms/vehicles/{vehicle_id}/owners",
            json={"party_id": party, "since": "2024-01-01T00:00:00+00:00"},
        )
        assert owner.status_code == 200, owner.text
        order = client.post("/p/dms/repair-orders", json={**ORDER, "party_id": party})
        assert order.status_code == 201, order.text
    return {"party": party, "vehicle": vehicle_id, "order": order.json()["id"]}


def test_a_vehicle_shows_its_owner_and_service_history(
    owned: dict[str, int], staff: Any, client_as: Any
) -> None:
    with client_as(staff.manager) as client:
        detail = client.get(f"/p/dms/vehicles/{owned['vehicle']}").json()
        mine = client.get(f"/p/dms/parties/{owned['party']}/vehicles").json()
        listed = client.get("/p/dms/vehicles", params={"vin": VIN[:5], "make": "motor coach"})
        wildcard = client.get("/p/dms/vehicles", params={"make": "%"}).json()
    assert detail["vehicle"]["mileage"] == 61_000
    assert detail["vehicle"]["service_due_on"] == "2027-10-01"
    assert [o["party_id"] for o in detail["owners"]] == [owned["party"]]
    assert [(r["ro_number"], r["total"]) for r in detail["repair_orders"]] == [("RO-77", "200.10")]
    assert [d["vehicle"]["vin"] for d in mine] == [VIN]
    assert [v["id"] for v in listed.json()["items"]] == [owned["vehicle"]]
    assert wildcard["items"] == []  # a make is matched as written, not as a pattern


def test_a_repair_order_sent_again_answers_the_stored_one(
    owned: dict[str, int], staff: Any, client_as: Any
) -> None:
    with client_as(staff.agent) as client:
        again = client.post("/p/dms/repair-orders", json={**ORDER, "party_id": owned["party"]})
    assert again.status_code == 200 and again.json()["id"] == owned["order"]


def test_parties_the_user_does_not_see_stay_hidden(
    owned: dict[str, int], staff: Any, client_as: Any
) -> None:
    with client_as(staff.outsider) as client:  # a sales rep of FR-75: not the Berliner's
        detail = client.get(f"/p/dms/vehicles/{owned['vehicle']}")
        theirs = client.get(f"/p/dms/parties/{owned['party']}/vehicles")
        order = client.get(f"/p/dms/repair-orders/{owned['order']}")
        filtered = client.get("/p/dms/vehicles", params={"party_id": owned["party"]})
    assert detail.status_code == 200
    assert detail.json()["owners"] == [] and detail.json()["repair_orders"] == []
    assert theirs.status_code == order.status_code == filtered.status_code == 404


def test_bad_input_is_a_problem_naming_the_field(crm: Crm, staff: Any, client_as: Any) -> None:
    with client_as(staff.admin) as client:
        vin = client.put("/p/dms/vehicles", json={"vin": "1M8GDM9A1KP042788"})
        line = client.post(
            "/p/dms/repair-orders", json={**ORDER, "lines": [{"description": "x", "labour": 1.5}]}
        )
        query = client.get("/p/dms/vehicles", params={"colour": "red"})
        listed = client.get("/p/dms/vehicles").json()
    assert (vin.status_code, vin.json()["field"]) == (422, "vin")
    assert "check digit" in vin.json()["detail"]
    assert (line.status_code, line.json()["field"]) == (422, "lines[0].labour")
    assert (query.status_code, query.json()["field"]) == (422, "colour")
    assert listed["items"] == []


def test_who_may_write(crm: Crm, staff: Any, client_as: Any) -> None:
    with client_as(staff.outsider) as client:  # sales reads vehicles, does not record them
        refused = client.put("/p/dms/vehicles", json={"vin": VIN})
        read = client.get("/p/dms/vehicles")
    assert refused.status_code == 403 and read.status_code == 200


def test_every_route_is_in_the_openapi_document(crm: Crm, staff: Any, client_as: Any) -> None:
    with client_as(staff.admin) as client:
        paths = client.get("/api/openapi.json").json()["paths"]
    for path in (
        "/p/dms/vehicles",
        "/p/dms/vehicles/{vehicle_id}",
        "/p/dms/vehicles/{vehicle_id}/owners",
        "/p/dms/parties/{party_id}/vehicles",
        "/p/dms/repair-orders",
        "/p/dms/repair-orders/{repair_order_id}",
    ):
        assert path in paths, path
    assert set(paths["/p/dms/vehicles"]) >= {"get", "put"}


def test_a_partner_user_reads_no_vehicle(
    owned: dict[str, int], dealers: Any, client_as: Any
) -> None:
    with client_as(dealers.nora) as client:
        answers = [
            client.get("/p/dms/vehicles"),
            client.get(f"/p/dms/vehicles/{owned['vehicle']}"),
            client.get(f"/p/dms/parties/{owned['party']}/vehicles"),
            client.get(f"/p/dms/repair-orders/{owned['order']}"),
        ]
    assert [a.status_code for a in answers] == [403, 403, 403, 403]
    assert all("RO-77" not in a.text and VIN not in a.text for a in answers)
