"""When a vehicle is next due for service: what after-sales campaigns start from.

Due a service interval (days) after the last repair order, or after the first registration
for a vehicle never seen in the workshop; sooner once it has run the distance interval
since the last visit (the day the DMS reported that mileage).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from crmkit import Transaction, utcnow
from crmkit_dms.vehicles.settings import VehiclesSettings
from crmkit_dms.vehicles.tables import vehicle


def due_on(row: Any, settings: VehiclesSettings) -> Any:
    """The service due date of a ``dms_vehicle`` row, or None when nothing tells it."""
    interval = timedelta(days=settings.service_interval_days)
    since = row.last_service_on or row.first_registration
    by_time = None if since is None else since + interval
    ran = (
        None
        if row.last_service_mileage is None or row.mileage is None
        else row.mileage - row.last_service_mileage
    )
    if ran is None or ran < settings.service_interval_km or row.mileage_at is None:
        return by_time
    by_distance = row.mileage_at.date()
    return by_distance if by_time is None else min(by_time, by_distance)


def reschedule(tx: Transaction, vehicle_id: int, settings: VehiclesSettings) -> None:
    """Keep the vehicle's ``service_due_on`` as its other columns now say."""
    row = tx.conn.execute(select(vehicle).where(vehicle.c.id == vehicle_id)).one()
    due = due_on(row, settings)
    if due != row.service_due_on:
        tx.conn.execute(
            update(vehicle)
            .where(vehicle.c.id == vehicle_id)
            .values(service_due_on=due, service_due_known_on=utcnow().date())
        )
