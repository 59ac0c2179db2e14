"""The assets part of ``crmkit demo``: customers' boilers, heat pumps and vans; service contracts.

About a third of the customers own one or two assets bought in the last five
years, with the maker's warranty from the purchase (some have run out); a tenth
have a yearly service contract, some of whose visits are used already.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select

from crmkit import party_table, read_vin
from crmkit_service.assets.tables import asset, contract, contract_visit

OWNER_SHARE = 0.33
CONTRACT_SHARE = 0.1
PRODUCTS = (
    ("Boiler CondensX 24", "CX", 24),
    ("Heat pump AirPro 9", "AP", 36),
    ("Delivery van Cargo L", None, 36),
)
"""Product, serial number prefix (None: a vehicle, told apart by its VIN), months of warranty."""
VIN_CHARACTERS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
PENALTY = "10 % of the yearly fee for each visit not made within 48 hours"


def _vin(rng: random.Random, number: int) -> str:
    """A European VIN (no check digit to hold), unique by its serial part."""
    middle = "".join(rng.choice(VIN_CHARACTERS) for _ in range(8))
    return read_vin("vin", f"WDB{middle}{number:06d}").text


def seed_assets(conn: Connection, rng: random.Random, now: datetime) -> None:
    """Write the demo's assets and contracts for the customers the kernel seeded."""
    customers = conn.scalars(
        select(party_table.c.id).where(party_table.c.role == "customer").order_by(party_table.c.id)
    ).all()
    today = now.date()
    rows: list[dict[str, Any]] = []
    for party_id in customers:
        if rng.random() >= OWNER_SHARE:
            continue
        for _ in range(rng.choice((1, 1, 2))):
            product, prefix, months = rng.choice(PRODUCTS)
            bought = today - timedelta(days=rng.randrange(30, 5 * 365))
            number = len(rows) + 1
            rows.append(
                {
                    "party_id": party_id,
                    "product": product,
                    "serial_number": f"{prefix}-{number:07d}" if prefix else None,
                    "vin": None if prefix else _vin(rng, number),
                    "purchase_date": bought,
                    "warranty_end": bought + timedelta(days=round(months * 30.44)),
                    "notes": "",
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
            )
    if rows:
        conn.execute(insert(asset), rows)
    _seed_contracts(conn, rng, now, customers)


def _seed_contracts(
    conn: Connection, rng: random.Random, now: datetime, customers: Sequence[int]
) -> None:
    today = now.date()
    year_start = date(today.year, 1, 1)
    for party_id in customers:
        if rng.random() >= CONTRACT_SHARE:
            continue
        included = rng.choice((2, 4, 6))
        contract_id = conn.execute(
            insert(contract)
            .values(
                party_id=party_id,
                asset_id=None,
                reference=f"SC-{today.year}-{party_id:05d}",
                starts_on=year_start,
                ends_on=date(today.year, 12, 31),
                visits_included=included,
                penalty_terms=PENALTY,
                created_at=now,
                updated_at=now,
                version=1,
            )
            .returning(contract.c.id)
        ).scalar_one()
        days_so_far = max((today - year_start).days, 1)
        used = [
            now - timedelta(days=rng.randrange(days_so_far))
            for _ in range(rng.randrange(included + 1))
        ]
        if used:
            conn.execute(
                insert(contract_visit),
                [
                    {
                        "contract_id": contract_id,
                        "dispatch_id": None,
                        "visited_at": at,
                        "created_at": now,
                    }
                    for at in used
                ],
            )
