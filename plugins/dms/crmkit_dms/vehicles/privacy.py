"""What the vehicles part holds on a party: merges, exports and erasure.

A party's link to vehicles (owner, driver, lessee over time) and its repair orders are its
data. Erasure deletes the links and takes the party off its repair orders, which stay on
the vehicle's history anonymously (a VIN and the work done say nothing of the person).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, select, update

from crmkit import Transaction
from crmkit_dms.vehicles.tables import repair_order, vehicle, vehicle_owner


def move_to_survivor(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    # A vehicle has one open holder per relationship, so moved links never double one.
    tx.conn.execute(
        update(vehicle_owner)
        .where(vehicle_owner.c.party_id == merged_id)
        .values(party_id=survivor_id)
    )
    tx.conn.execute(
        update(repair_order)
        .where(repair_order.c.party_id == merged_id)
        .values(party_id=survivor_id)
    )


def export_of(conn: Connection, party_id: int) -> dict[str, Any]:
    links = conn.execute(
        select(
            vehicle.c.vin,
            vehicle.c.make,
            vehicle.c.model,
            vehicle.c.model_year,
            vehicle_owner.c.relationship,
            vehicle_owner.c.since,
            vehicle_owner.c.until,
        )
        .join(vehicle, vehicle.c.id == vehicle_owner.c.vehicle_id)
        .where(vehicle_owner.c.party_id == party_id)
        .order_by(vehicle_owner.c.since, vehicle_owner.c.id)
    ).all()
    orders = conn.execute(
        select(repair_order, vehicle.c.vin)
        .join(vehicle, vehicle.c.id == repair_order.c.vehicle_id)
        .where(repair_order.c.party_id == party_id)
        .order_by(repair_order.c.opened_at, repair_order.c.id)
    ).all()
    return {
        "vehicles": [
            {
                "vin": row.vin,
                "make": row.make,
                "model": row.model,
                "model_year": row.model_year,
                "relationship": row.relationship,
                "since": row.since.isoformat(),
                "until": None if row.until is None else row.until.isoformat(),
            }
            for row in links
        ],
        "repair_orders": [
            {
                "vin": row.vin,
                "ro_number": row.ro_number,
                "opened_at": row.opened_at.isoformat(),
                "closed_at": None if row.closed_at is None else row.closed_at.isoformat(),
                "mileage": row.mileage,
                "lines": row.lines,
                "total": str(row.total),
                "currency": row.currency,
            }
            for row in orders
        ],
    }


def erase(tx: Transaction, party_id: int) -> None:
    tx.conn.execute(delete(vehicle_owner).where(vehicle_owner.c.party_id == party_id))
    tx.conn.execute(
        update(repair_order).where(repair_order.c.party_id == party_id).values(party_id=None)
    )
