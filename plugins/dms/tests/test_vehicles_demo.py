"""The vehicles part of the demo: customers' cars with valid VINs, owners and workshop visits."""

from __future__ import annotations

from typing import Any

from crmkit_dms.vehicles.tables import repair_order, vehicle, vehicle_owner
from sqlalchemy import func, select

from crmkit import read_vin, utcnow
from crmkit.testing import seed_demo_data


def test_the_demo_cars_are_valid_owned_and_serviced(make_dms: Any) -> None:
    crm = make_dms()
    now = utcnow()
    seed_demo_data(crm, customers=200, prospects=10, now=now)
    with crm.read() as conn:
        cars = conn.execute(select(vehicle)).all()
        open_links = conn.execute(
            select(vehicle_owner.c.vehicle_id, func.count())
            .where(vehicle_owner.c.until.is_(None), vehicle_owner.c.relationship == "owner")
            .group_by(vehicle_owner.c.vehicle_id)
        ).all()
        orders = conn.execute(select(repair_order)).all()
    assert 20 <= len(cars) <= 90
    for car in cars:  # North American or not, every demo VIN holds its check digit
        read = read_vin("vin", car.vin, market="US")
        assert read.model_year == car.model_year
    assert {count for _, count in open_links} == {1} and len(open_links) == len(cars)
    assert orders and all(o.total > 0 and o.opened_at <= now for o in orders)
    serviced = {o.vehicle_id for o in orders}
    assert all(c.service_due_on is not None for c in cars if c.id in serviced)
