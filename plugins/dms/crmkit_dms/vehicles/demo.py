"""The vehicles part of ``crmkit demo``: customers' cars, who owned them, their workshop visits.

About a quarter of the customers own a car (one in ten of those bought it used: an earlier
owner shows); each car has had one to four visits at a dealer of the demo's partners, the
latest setting its mileage and when its next service is due.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, insert, select

from crmkit import Crm, party_table, vin_check_digit
from crmkit_dms.partners.tables import partner
from crmkit_dms.vehicles import schedule
from crmkit_dms.vehicles.settings import VehiclesSettings
from crmkit_dms.vehicles.tables import repair_order, vehicle, vehicle_owner

OWNER_SHARE = 0.25
USED_SHARE = 0.1
MODELS = (
    ("Volkswagen", "WVW", ("Golf", "Passat", "ID.4"), ("petrol", "diesel", "electric")),
    ("Audi", "WAU", ("A3", "A4", "Q5"), ("petrol", "diesel")),
    ("BMW", "WBA", ("320i", "X3", "i4"), ("petrol", "electric")),
    ("Ford", "1FA", ("Mustang", "Focus"), ("petrol",)),
)
COLOURS = ("black", "white", "silver", "blue", "red", "grey")
WORK = (
    ("01A", "Annual service: oil and filter", "120.00", "85.40", "customer"),
    ("02B", "Brake pads front", "90.00", "140.00", "customer"),
    ("10W", "Infotainment software update (recall)", "45.00", "0", "warranty"),
    ("05T", "Tyre change", "40.00", "0", "customer"),
)
YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"
VIN_CHARACTERS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def _vin(rng: random.Random, wmi: str, year: int, number: int) -> str:
    """A VIN of ``year`` (position 7 a letter from 2010 on, as NHTSA reads it), with a valid
    check digit, unique by its serial part."""
    descriptor = "".join(rng.choice(VIN_CHARACTERS) for _ in range(3)) + "A"
    draft = (
        f"{wmi}{descriptor}{rng.choice('ABCDEFGH')}0{YEAR_CODES[(year - 1980) % 30]}X{number:06d}"
    )
    return draft[:8] + vin_check_digit(draft) + draft[9:]


def seed(app: Crm, conn: Connection, rng: random.Random, now: datetime) -> None:
    settings: VehiclesSettings = app.settings_of["dms"].vehicles
    customers = conn.scalars(
        select(party_table.c.id).where(party_table.c.role == "customer").order_by(party_table.c.id)
    ).all()
    dealers = list(
        conn.scalars(select(partner.c.id).where(partner.c.kind == "dealer").order_by(partner.c.id))
    )
    today = now.date()
    for number, party_id in enumerate(c for c in customers if rng.random() < OWNER_SHARE):
        make, wmi, models, fuels = rng.choice(MODELS)
        year = rng.randrange(today.year - 8, today.year + 1)
        registered = date(year, rng.randrange(1, 13), rng.randrange(1, 28))
        if registered > today:
            registered = today - timedelta(days=30)
        visits = _visits(rng, number, registered, today, dealers, settings.default_currency)
        mileage = visits[-1]["mileage"] if visits else None
        last = visits[-1]["opened_at"] if visits else None
        row: dict[str, Any] = {
            "vin": _vin(rng, wmi, year, number + 1),
            "make": make,
            "model": rng.choice(models),
            "model_year": year,
            "trim": None,
            "fuel": rng.choice(fuels),
            "colour": rng.choice(COLOURS),
            "first_registration": registered,
            "warranty_until": registered + timedelta(days=3 * 365),
            "mileage": mileage,
            "mileage_at": last,
            "last_service_on": None if last is None else last.date(),
            "last_service_mileage": mileage,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        row["service_due_on"] = schedule.due_on(SimpleNamespace(**row), settings)
        row["service_due_known_on"] = row["last_service_on"] or registered
        vehicle_id = conn.execute(insert(vehicle).values(row).returning(vehicle.c.id)).scalar_one()
        bought = datetime(registered.year, registered.month, registered.day, tzinfo=now.tzinfo)
        if rng.random() < USED_SHARE and len(customers) > 1:
            earlier = rng.choice([c for c in customers if c != party_id])
            sold = bought + (now - bought) / 2
            _own(conn, vehicle_id, earlier, bought, sold)
            bought = sold
        _own(conn, vehicle_id, party_id, bought, None)
        for visit in visits:
            conn.execute(
                insert(repair_order).values(
                    vehicle_id=vehicle_id, party_id=party_id, created_at=now, **visit
                )
            )


def _own(
    conn: Connection, vehicle_id: int, party_id: int, since: datetime, until: datetime | None
) -> None:
    conn.execute(
        insert(vehicle_owner).values(
            vehicle_id=vehicle_id, party_id=party_id, relationship="owner", since=since, until=until
        )
    )


def _visits(
    rng: random.Random,
    number: int,
    registered: date,
    today: date,
    dealers: list[int],
    currency: str,
) -> list[dict[str, Any]]:
    visits: list[dict[str, Any]] = []
    day, mileage = registered, 0
    for _ in range(rng.randrange(1, 5)):
        day += timedelta(days=rng.randrange(200, 420))
        if day >= today:
            break
        mileage += rng.randrange(6_000, 20_000)
        work = rng.sample(WORK, rng.randrange(1, 3))
        dealer = rng.choice(dealers) if dealers else None
        opened = datetime(day.year, day.month, day.day, 8, 0, tzinfo=UTC)
        visits.append(
            {
                "partner_id": dealer,
                "partner_key": dealer or 0,
                "ro_number": f"RO-{number:05d}-{len(visits) + 1}",
                "opened_at": opened,
                "closed_at": opened + timedelta(hours=rng.randrange(2, 9)),
                "mileage": mileage,
                "lines": [
                    {
                        "op_code": op,
                        "description": text,
                        "labour": labour,
                        "parts": parts,
                        "payer": payer,
                    }
                    for op, text, labour, parts, payer in work
                ],
                "total": sum((Decimal(w[2]) + Decimal(w[3]) for w in work), Decimal("0.00")),
                "currency": currency,
                "source": "star",
            }
        )
    return visits
