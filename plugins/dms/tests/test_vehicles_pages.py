"""The vehicles pages, the party page's vehicle panel and workshop visits on its timeline."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from crmkit_dms.vehicles import service

from crmkit import Crm

VIN = "1M8GDM9AXKP042788"


def _serviced_car(crm: Crm, party: int) -> int:
    with crm.transaction() as tx:
        car = service.upsert_vehicle(
            tx,
            {"vin": VIN, "make": "Motor Coach", "model": "<MC-9>", "warranty_until": "2027-05-01"},
        )
        service.set_owner(tx, car.id, party, datetime(2024, 1, 1, tzinfo=UTC))
        service.record_repair_order(
            tx,
            {
                "vin": VIN,
                "party_id": party,
                "ro_number": "RO-5",
                "opened_at": "2026-09-01T08:00:00+00:00",
                "mileage": 30_500,
                "lines": [{"description": "Brake pads <front>", "labour": "90", "parts": "60"}],
            },
        )
    return car.id


def test_the_vehicles_list_and_a_vehicles_page(
    crm: Crm, staff: Any, new_party: Any, client_as: Any
) -> None:
    car = _serviced_car(crm, new_party())
    with client_as(staff.manager) as client:
        listed = client.get("/p/dms/page/vehicles", params={"make": "motor coach"})
        page = client.get(f"/p/dms/page/vehicles/{car}")
        missing = client.get("/p/dms/page/vehicles/999999")
    assert listed.status_code == 200 and f"/p/dms/page/vehicles/{car}" in listed.text
    assert page.status_code == 200
    assert "Ada Lovelace" in page.text and "RO-5" in page.text and "30500 km" in page.text
    assert "&lt;MC-9&gt;" in page.text and "<MC-9>" not in page.text  # escaped
    assert missing.status_code == 404


def test_the_party_page_shows_the_vehicle_and_the_workshop_visit(
    crm: Crm, staff: Any, new_party: Any, client_as: Any
) -> None:
    party = new_party()
    car = _serviced_car(crm, party)
    with client_as(staff.manager) as client:
        page = client.get(f"/parties/{party}").text
    assert "Vehicles" in page and VIN in page and "warranty until 2027-05-01" in page
    assert f'href="/p/dms/page/vehicles/{car}"' in page
    assert "Repair order RO-5" in page and "Brake pads &lt;front&gt;" in page
    assert "150.00 EUR" in page


def test_the_owner_is_not_shown_to_who_does_not_see_them(
    crm: Crm, staff: Any, new_party: Any, client_as: Any
) -> None:
    car = _serviced_car(crm, new_party())
    with client_as(staff.outsider) as client:
        page = client.get(f"/p/dms/page/vehicles/{car}").text
    assert "Ada Lovelace" not in page and "RO-5" not in page and "No owner you may see" in page
