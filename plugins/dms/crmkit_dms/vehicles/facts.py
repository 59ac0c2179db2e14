"""What the service plugin learns of a vehicle when it checks an asset's warranty
(its ``service_asset_facts`` hook): the warranty and service history the dealers' DMS told."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from crmkit_dms.vehicles.service import vehicle_by_vin
from crmkit_dms.vehicles.tables import repair_order


def facts_of(conn: Connection, vin: str) -> dict[str, Any] | None:
    """The vehicle's warranty end, service dates, mileage and count of repair orders (with
    warranty work); None for a VIN no DMS reported. Facts about the vehicle, no party's."""
    car = vehicle_by_vin(conn, vin)
    if car is None:
        return None
    orders = conn.execute(
        select(func.count()).where(repair_order.c.vehicle_id == car.id)
    ).scalar_one()
    return {
        "warranty_until": car.warranty_until,
        "last_service_on": car.last_service_on,
        "service_due_on": car.service_due_on,
        "mileage": car.mileage,
        "repair_orders": orders,
        "make": car.make,
        "model": car.model,
        "model_year": car.model_year,
    }
