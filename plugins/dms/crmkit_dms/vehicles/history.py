"""Reading vehicles with their owners and service history, keeping the record rules.

A vehicle itself is seen by whoever holds ``dms:vehicle.read``: a VIN and a model say nothing
about a person. Who owned or drove it, and its repair orders, are seen exactly by whoever sees
the party they name (a repair order without a party by every reader); the rest is left out.
"""

from __future__ import annotations

from datetime import datetime

from attrs import frozen
from sqlalchemy import ColumnElement, Select, func, or_, select, true

from crmkit import (
    NotFound,
    Page,
    Transaction,
    newest_first,
    seen_party,
    seen_party_ids,
    sees_every_party,
)
from crmkit_dms.vehicles import reading
from crmkit_dms.vehicles.model import Ownership, RepairOrder, Vehicle
from crmkit_dms.vehicles.service import get_repair_order, get_vehicle
from crmkit_dms.vehicles.tables import repair_order, vehicle, vehicle_owner


@frozen
class VehicleDetail:
    """A vehicle with the owners and repair orders (newest first) the reader may see."""

    vehicle: Vehicle
    owners: list[Ownership]
    repair_orders: list[RepairOrder]
    last_service_at: datetime | None


def _seen(tx: Transaction, party_id: ColumnElement[int | None]) -> ColumnElement[bool]:
    if sees_every_party(tx.hooks, tx.actor):
        return true()
    return or_(party_id.is_(None), party_id.in_(seen_party_ids(tx.hooks, tx.actor)))


def list_vehicles(
    tx: Transaction,
    *,
    vin: str | None = None,
    make: str | None = None,
    model: str | None = None,
    party_id: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Vehicle]:
    """Vehicles, newest first; ``vin`` a prefix of it, ``make`` / ``model`` exactly (any
    case), ``party_id`` those the party (which the reader must see) owns, drives or leases now."""
    query: Select[tuple[object, ...]] = select(vehicle)
    if vin:
        cleaned = "".join(vin.split()).upper()
        query = query.where(vehicle.c.vin.startswith(cleaned, autoescape=True))
    if make:
        query = query.where(func.lower(vehicle.c.make) == make.strip().lower())
    if model:
        query = query.where(func.lower(vehicle.c.model) == model.strip().lower())
    if party_id is not None:
        seen_party(tx.hooks, tx.conn, tx.actor, party_id)
        query = query.where(
            vehicle.c.id.in_(
                select(vehicle_owner.c.vehicle_id).where(
                    vehicle_owner.c.party_id == party_id, vehicle_owner.c.until.is_(None)
                )
            )
        )
    return newest_first(
        tx.conn, query, vehicle.c.id, reading.vehicle_from, cursor=cursor, limit=limit
    )


def vehicle_detail(tx: Transaction, vehicle_id: int) -> VehicleDetail:
    """The vehicle, its owners over time (latest first) and its repair orders (NotFound)."""
    car = get_vehicle(tx.conn, vehicle_id)
    owners = tx.conn.execute(
        select(vehicle_owner)
        .where(vehicle_owner.c.vehicle_id == vehicle_id, _seen(tx, vehicle_owner.c.party_id))
        .order_by(vehicle_owner.c.since.desc(), vehicle_owner.c.id.desc())
    ).all()
    orders = tx.conn.execute(
        select(repair_order)
        .where(repair_order.c.vehicle_id == vehicle_id, _seen(tx, repair_order.c.party_id))
        .order_by(repair_order.c.opened_at.desc(), repair_order.c.id.desc())
    ).all()
    return VehicleDetail(
        vehicle=car,
        owners=[reading.ownership_from(row) for row in owners],
        repair_orders=[reading.repair_order_from(row) for row in orders],
        last_service_at=orders[0].opened_at if orders else None,
    )


def visible_repair_order(tx: Transaction, repair_order_id: int) -> RepairOrder:
    """The repair order, if the reader sees its party (NotFound otherwise, as when none)."""
    found = get_repair_order(tx.conn, repair_order_id)
    if found.party_id is not None:
        try:
            seen_party(tx.hooks, tx.conn, tx.actor, found.party_id)
        except NotFound:
            raise NotFound(f"repair order {repair_order_id} does not exist") from None
    return found


def vehicles_of(tx: Transaction, party_id: int) -> list[VehicleDetail]:
    """What the party owns, drives or leases now, each with its history (NotFound for a
    party the reader does not see)."""
    seen_party(tx.hooks, tx.conn, tx.actor, party_id)
    ids = tx.conn.execute(
        select(vehicle_owner.c.vehicle_id)
        .where(vehicle_owner.c.party_id == party_id, vehicle_owner.c.until.is_(None))
        .distinct()
        .order_by(vehicle_owner.c.vehicle_id)
    ).scalars()
    return [vehicle_detail(tx, vehicle_id) for vehicle_id in ids]
