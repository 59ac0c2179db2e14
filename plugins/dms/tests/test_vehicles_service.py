"""Vehicles, owners over time and repair orders through the part's service contract."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from crmkit_dms.vehicles import service
from crmkit_dms.vehicles.tables import repair_order, vehicle, vehicle_owner
from sqlalchemy import func, select

from crmkit import Crm, Event, NotFound, ValidationError, hookimpl
from crmkit.testing import register_plugin

VIN = "1M8GDM9AXKP042788"


def _order(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "vin": VIN,
        "make": "Motor Coach",
        "ro_number": "RO-1001",
        "opened_at": "2026-03-02T08:00:00+01:00",
        "closed_at": "2026-03-02T16:30:00+01:00",
        "mileage": 48_200,
        "lines": [
            {"op_code": "01A", "description": "Oil and filter", "labour": "40", "parts": "35.50"},
            {"description": "Brake pads (recall)", "labour": "90", "payer": "warranty"},
        ],
        "currency": "EUR",
        "source": "star",
    }
    return {**data, **changes}


class Listener:
    def __init__(self) -> None:
        self.told: list[dict[str, Any]] = []

    @hookimpl
    def on_event(self, event: Event) -> None:
        if event.type == "dms.repair_order_recorded":
            self.told.append(event.payload)


@pytest.fixture
def listener() -> Listener:
    return Listener()


@pytest.fixture
def crm(make_dms, listener: Listener) -> Crm:
    return make_dms(plugins=(register_plugin(listener, name="listener"),))


def _count(crm: Crm, table: Any) -> int:
    with crm.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_upsert_makes_the_vehicle_once_and_keeps_what_is_not_given(crm: Crm) -> None:
    with crm.transaction() as tx:
        made = service.upsert_vehicle(tx, {"vin": VIN.lower(), "make": "Motor Coach"})
        again = service.upsert_vehicle(tx, {"vin": VIN, "model": "MC-9", "mileage": 1000})
        lower = service.upsert_vehicle(tx, {"vin": VIN, "mileage": 10})
    assert made.id == again.id == lower.id and made.version == 1
    assert (lower.make, lower.model, lower.mileage) == ("Motor Coach", "MC-9", 1000)
    assert lower.version == 2
    assert _count(crm, vehicle) == 1


def test_a_bad_vin_is_refused_and_nothing_is_written(crm: Crm) -> None:
    with pytest.raises(ValidationError) as refused, crm.transaction() as tx:
        service.upsert_vehicle(tx, {"vin": "1M8GDM9A1KP042788", "make": "X"})
    assert refused.value.field == "vin"
    with pytest.raises(ValidationError) as unknown, crm.transaction() as tx:
        service.upsert_vehicle(tx, {"vin": VIN, "colour_code": "X"})
    assert unknown.value.field == "colour_code"
    assert _count(crm, vehicle) == 0


def test_owners_over_time(crm: Crm, new_party) -> None:
    first, second = new_party(), new_party()
    bought = datetime(2020, 5, 1, tzinfo=UTC)
    sold = datetime(2024, 9, 1, tzinfo=UTC)
    with crm.transaction() as tx:
        car = service.upsert_vehicle(tx, {"vin": VIN})
        service.set_owner(tx, car.id, first, bought)
        service.set_owner(tx, car.id, first, bought)  # said again: nothing changes
        service.set_owner(tx, car.id, second, sold)
        service.set_owner(tx, car.id, first, bought, relationship="driver")
    with crm.read() as conn:
        rows = conn.execute(
            select(
                vehicle_owner.c.party_id, vehicle_owner.c.relationship, vehicle_owner.c.until
            ).order_by(vehicle_owner.c.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        (first, "owner", sold),
        (second, "owner", None),
        (first, "driver", None),
    ]
    with pytest.raises(ValidationError) as refused, crm.transaction() as tx:
        service.set_owner(tx, car.id, first, bought)  # before the current owner's purchase
    assert refused.value.field == "since"


def test_an_owner_the_actor_does_not_see_is_not_found(crm: Crm, staff, new_party) -> None:
    berliner = new_party()  # outside the sales rep's territory (FR-75)
    with crm.transaction() as tx:
        car = service.upsert_vehicle(tx, {"vin": VIN})
    with pytest.raises(NotFound), crm.transaction(staff.outsider) as tx:
        service.set_owner(tx, car.id, berliner, datetime(2024, 1, 1, tzinfo=UTC))
    assert _count(crm, vehicle_owner) == 0


def test_a_repair_order_resent_changes_nothing(crm: Crm, new_party, listener: Listener) -> None:
    party = new_party()
    with crm.transaction() as tx:
        first = service.record_repair_order(tx, _order(party_id=party))
    with crm.transaction() as tx:
        again = service.record_repair_order(tx, _order(party_id=party, total="1.00"))
    assert again == first
    assert first.total == Decimal("165.50") and first.currency == "EUR"
    assert [line.payer for line in first.lines] == ["customer", "warranty"]
    assert _count(crm, repair_order) == 1
    with crm.read() as conn:
        car = service.get_vehicle(conn, first.vehicle_id)
    assert (car.vin, car.make, car.mileage) == (VIN, "Motor Coach", 48_200)
    assert [told["repair_order_id"] for told in listener.told] == [first.id]
    assert listener.told[0]["party_id"] == party


def test_the_same_number_from_two_dealers_is_two_orders(crm: Crm, dealers: Any) -> None:
    with crm.transaction() as tx:
        north = service.record_repair_order(tx, _order(partner_id=dealers.north))
        south = service.record_repair_order(tx, _order(partner_id=dealers.south))
        unknown = service.record_repair_order(tx, _order())
        again = service.record_repair_order(tx, _order(partner_id=dealers.north))
    assert len({north.id, south.id, unknown.id}) == 3 and again.id == north.id
    assert (north.partner_id, unknown.partner_id) == (dealers.north, None)
    assert _count(crm, repair_order) == 3
    with pytest.raises(ValidationError) as refused, crm.transaction() as tx:
        service.record_repair_order(tx, _order(partner_id=999_999, ro_number="RO-X"))
    assert refused.value.field == "partner_id"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ro_number": " "}, "ro_number"),
        ({"opened_at": "yesterday"}, "opened_at"),
        ({"closed_at": "2026-03-01T00:00:00+00:00"}, "closed_at"),
        ({"lines": [{"description": "x", "labour": 1.5}]}, "lines[0].labour"),
        ({"lines": [{"description": "x", "payer": "insurer"}]}, "lines[0].payer"),
        ({"lines": [{"labour": "1"}]}, "lines[0].description"),
        ({"currency": "EURO"}, "currency"),
        ({"vin": "WVWZZZ1JZXW00000"}, "vin"),
        ({"mileage": -1}, "mileage"),
    ],
)
def test_a_bad_repair_order_is_refused_naming_the_field(
    crm: Crm, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as refused, crm.transaction() as tx:
        service.record_repair_order(tx, _order(**changes))
    assert refused.value.field == field
    assert _count(crm, repair_order) == 0 and _count(crm, vehicle) == 0


def test_a_vehicle_of_interest_is_no_vehicle_and_keeps_the_lead() -> None:
    interest = service.vehicle_of_interest(
        {"year": "2025", "make": "Audi", "model": "A4", "status": "New", "vin": "123", "x": 1}
    )
    assert interest.data == {"year": 2025, "make": "Audi", "model": "A4", "status": "new"}
    assert [p.split(":")[0] for p in interest.problems] == ["x", "vin"]


def test_the_settings_name_the_markets_that_enforce_the_check_digit(make_dms: Any) -> None:
    crm = make_dms(dms={"vehicles": {"check_digit_markets": ["de"]}})
    german = "WVWZZZ1JZXW000001"  # position 9 is no check digit
    with pytest.raises(ValidationError, match="check digit"), crm.transaction() as tx:
        service.upsert_vehicle(tx, {"vin": german, "market": "DE"})
    with crm.transaction() as tx:
        american = service.upsert_vehicle(tx, {"vin": "1M8GDM9A1KP042788"})  # not enforced now
        kept = service.upsert_vehicle(tx, {"vin": german, "market": "FR"})
    assert american.vin == "1M8GDM9A1KP042788" and kept.vin == german


def test_the_same_order_sent_twice_at_once_is_recorded_once(crm: Crm, listener: Listener) -> None:
    start = threading.Barrier(2)
    made: list[int] = []

    def send() -> None:
        start.wait()
        with crm.transaction() as tx:
            made.append(service.record_repair_order(tx, _order(ro_number="RO-RACE")).id)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 2 and made[0] == made[1]
    assert _count(crm, repair_order) == 1 and _count(crm, vehicle) == 1
    assert [told["repair_order_id"] for told in listener.told] == [made[0]]
