"""A party's vehicles and repair orders in merges, exports and erasure."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from crmkit_dms.vehicles import service
from crmkit_dms.vehicles.tables import repair_order, vehicle, vehicle_owner
from sqlalchemy import select

from crmkit import Crm, erase_party, export_party, merge_parties

GOLF = "WVWZZZ1KZ6W000001"
AUDI = "WAUZZZ8K9BA000002"
SINCE = datetime(2022, 3, 1, tzinfo=UTC)


def _owns(crm: Crm, party: int, vin: str, ro_number: str) -> int:
    with crm.transaction() as tx:
        car = service.upsert_vehicle(tx, {"vin": vin, "make": "VW"})
        service.set_owner(tx, car.id, party, SINCE)
        service.record_repair_order(
            tx,
            {
                "vin": vin,
                "party_id": party,
                "ro_number": ro_number,
                "opened_at": "2026-02-01T08:00:00+00:00",
                "lines": [{"description": "Service", "labour": "100"}],
            },
        )
    return car.id


def _links(crm: Crm) -> list[tuple[int, int, Any]]:
    with crm.read() as conn:
        rows = conn.execute(
            select(
                vehicle_owner.c.vehicle_id, vehicle_owner.c.party_id, vehicle_owner.c.until
            ).order_by(vehicle_owner.c.id)
        ).all()
    return [tuple(r) for r in rows]


def test_a_merge_moves_vehicles_and_repair_orders(crm: Crm, new_party: Any) -> None:
    survivor, merged = new_party(), new_party(first_name="Ada L.")
    golf = _owns(crm, survivor, GOLF, "RO-1")
    audi = _owns(crm, merged, AUDI, "RO-2")
    with crm.transaction() as tx:  # the merged record also drives the Golf
        service.set_owner(tx, golf, merged, SINCE, relationship="driver")
    with crm.transaction() as tx:
        merge_parties(tx, survivor, merged)
    assert _links(crm) == [(golf, survivor, None), (audi, survivor, None), (golf, survivor, None)]
    with crm.read() as conn:
        parties = set(conn.execute(select(repair_order.c.party_id)).scalars())
    assert parties == {survivor}


def test_the_export_holds_the_vehicles_and_repair_orders(crm: Crm, new_party: Any) -> None:
    party = new_party()
    _owns(crm, party, GOLF, "RO-1")
    with crm.read() as conn:
        exported = export_party(conn, crm.host, party)["dms"]
    assert [(v["vin"], v["relationship"], v["until"]) for v in exported["vehicles"]] == [
        (GOLF, "owner", None)
    ]
    assert [(r["vin"], r["ro_number"], r["total"]) for r in exported["repair_orders"]] == [
        (GOLF, "RO-1", "100.00")
    ]


def test_erasure_drops_the_links_and_keeps_the_vehicles_history_anonymous(
    crm: Crm, new_party: Any
) -> None:
    party, other = new_party(), new_party(first_name="Bob")
    golf = _owns(crm, party, GOLF, "RO-1")
    audi = _owns(crm, other, AUDI, "RO-2")
    with crm.transaction() as tx:
        erase_party(tx, party)
    assert _links(crm) == [(audi, other, None)]
    with crm.read() as conn:
        orders = conn.execute(
            select(repair_order.c.vehicle_id, repair_order.c.party_id).order_by(repair_order.c.id)
        ).all()
        vins = set(conn.execute(select(vehicle.c.vin)).scalars())
    assert [tuple(r) for r in orders] == [(golf, None), (audi, other)]
    assert vins == {GOLF, AUDI}
