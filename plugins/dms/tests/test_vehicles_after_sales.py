"""Vehicles feeding other plugins through hooks: campaigns' after-sales triggers and segment
criteria (run by campaigns' own code), and service's warranty check of an asset's VIN."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from crmkit_campaigns.segments.targets import compile_segment
from crmkit_campaigns.triggers.service import due_query
from crmkit_dms.vehicles import service
from crmkit_service.assets.entitlement import entitlement_of
from crmkit_service.assets.service import create_asset

from crmkit import Actor, Crm, utcnow

CHANNELS = {
    "from_address": "Acme Motors <news@acme.example>",
    "public_url": "https://crm.acme.example",
    "link_secret": "a-test-secret-of-at-least-32-characters",
}
GOLF = "WVWZZZ1KZ6W000001"
AUDI = "WAUZZZ8K9BA000002"
TODAY = utcnow().date()


@pytest.fixture
def crm(make_dms: Any) -> Crm:
    return make_dms(
        with_plugins=("channels", "campaigns", "service"), settings={"channels": CHANNELS}
    )


def _car(crm: Crm, party: int, vin: str, **data: Any) -> int:
    with crm.transaction() as tx:
        car = service.upsert_vehicle(tx, {"vin": vin, **data})
        service.set_owner(tx, car.id, party, datetime(2020, 1, 1, tzinfo=UTC))
    return car.id


def _visit(crm: Crm, vin: str, number: str, day: date, mileage: int) -> None:
    with crm.transaction() as tx:
        service.record_repair_order(
            tx,
            {
                "vin": vin,
                "ro_number": number,
                "opened_at": datetime(day.year, day.month, day.day, 9, tzinfo=UTC).isoformat(),
                "mileage": mileage,
            },
        )


def _due(crm: Crm, name: str, days: int, on: date) -> list[tuple[int, str, date]]:
    trigger = {"name": name, "parameters": {"days": days}}
    with crm.read() as conn:
        rows = conn.execute(due_query(crm, trigger, on, catch_up_days=7)).all()
    return sorted((row.party_id, row.occurrence, row.due_on) for row in rows)


def test_service_due_by_time_or_by_distance(crm: Crm, new_party: Any) -> None:
    ada, bob = new_party(), new_party(first_name="Bob")
    golf = _car(crm, ada, GOLF)
    audi = _car(crm, bob, AUDI)
    last_year = TODAY - timedelta(days=350)
    _visit(crm, GOLF, "RO-1", last_year, 40_000)  # due by time in 15 days
    _visit(crm, AUDI, "RO-2", TODAY - timedelta(days=30), 10_000)
    with crm.transaction() as tx:  # 16,000 km since: due now, by distance
        service.upsert_vehicle(tx, {"vin": AUDI, "mileage": 26_000, "mileage_at": utcnow()})
    golf_due = last_year + timedelta(days=365)
    assert _due(crm, "dms.service_due", 14, TODAY) == [
        (bob, f"vehicle {audi} service {TODAY}", TODAY)
    ]
    assert _due(crm, "dms.service_due", 14, TODAY + timedelta(days=1)) == [
        (ada, f"vehicle {golf} service {golf_due}", golf_due - timedelta(days=14)),
        (bob, f"vehicle {audi} service {TODAY}", TODAY),  # still within the catch-up days
    ]


def test_warranty_ending_reaches_the_current_owner_only(crm: Crm, new_party: Any) -> None:
    ada, bob = new_party(), new_party(first_name="Bob")
    ends = TODAY + timedelta(days=30)
    golf = _car(crm, ada, GOLF, warranty_until=ends.isoformat())
    with crm.transaction() as tx:  # sold to Bob: Ada hears no more of it
        service.set_owner(tx, golf, bob, utcnow())
    assert _due(crm, "dms.warranty_ending", 30, TODAY) == [
        (bob, f"vehicle {golf} warranty {ends}", TODAY)
    ]


def _segment(crm: Crm, actor: Actor, criterion: str, **options: Any) -> set[int]:
    definition = {"criterion": criterion, "op": "is", "with": options}
    with crm.transaction(actor) as tx:
        return {row.party_id for row in tx.conn.execute(compile_segment(tx, definition))}


def test_segments_by_make_model_year_and_last_service(crm: Crm, new_party: Any, staff: Any) -> None:
    ada, bob, cleo = (new_party(first_name=n) for n in ("Ada", "Bob", "Cleo"))
    _car(crm, ada, GOLF, make="Volkswagen", model="Golf", model_year=2006)
    _car(crm, bob, AUDI, make="Audi", model="A4", model_year=2011)
    _visit(crm, AUDI, "RO-3", TODAY - timedelta(days=10), 5_000)
    admin = staff.admin
    assert _segment(crm, admin, "dms.vehicle", make="volkswagen") == {ada}
    assert _segment(crm, admin, "dms.vehicle", year_from="2010") == {bob}
    assert _segment(crm, admin, "dms.vehicle", make="Audi", year_to=2010) == set()
    before = (TODAY - timedelta(days=30)).isoformat()
    assert _segment(crm, admin, "dms.last_service_before", before=before) == {ada}
    assert cleo not in _segment(crm, admin, "dms.vehicle")


def test_a_warranty_the_dms_reports_covers_an_asset_of_that_vin(crm: Crm, new_party: Any) -> None:
    ada = new_party()
    with crm.transaction() as tx:
        asset = create_asset(
            tx, {"party_id": ada, "product": "Golf", "vin": GOLF, "warranty_end": "2020-01-01"}
        ).id
        service.upsert_vehicle(
            tx, {"vin": GOLF, "warranty_until": (TODAY + timedelta(days=400)).isoformat()}
        )
    _visit(crm, GOLF, "RO-4", TODAY - timedelta(days=3), 12_000)
    with crm.transaction() as tx:
        found = entitlement_of(tx.conn, ada, asset, hooks=tx.hooks)
        plain = entitlement_of(tx.conn, ada, asset)
    assert (found.state, found.billable) == ("in_warranty", False)
    assert found.vehicle_facts is not None
    assert found.vehicle_facts["last_service_on"] == TODAY - timedelta(days=3)
    assert found.vehicle_facts["repair_orders"] == 1
    assert plain.state == "out_of_warranty"
