"""The partners part of ``crmkit demo``: a dealer network in Germany.

Five dealers share Germany by the first postcode digits, each selling two or three of the
group's brands, and an importer covers the whole country for every brand and takes the
leads no dealer takes. Their organisations are demo organisation customers, so that they
show in the CRM like any account. Partner users are not seeded: they log in, so an
operator adds them (``crmkit users add --role partner``) and links them on the partner's
page.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from crmkit import Crm, party_table
from crmkit_dms.partners.tables import partner, partner_brand, partner_region

WEEKDAY_HOURS = [["08:00", "18:00"]]
SATURDAY_HOURS = [["09:00", "13:00"]]
NETWORK: tuple[tuple[str, str, str, tuple[str, ...], tuple[str, ...], int | None], ...] = (
    ("nord", "Autohaus Nord", "dealer", ("vw", "audi"), ("1", "2"), 40),
    ("west", "Autohaus West", "dealer", ("vw", "skoda"), ("4", "5"), 30),
    ("mitte", "Autohaus Mitte", "dealer", ("vw", "seat", "skoda"), ("0", "3", "6"), 25),
    ("sued", "Autohaus Süd", "dealer", ("audi", "vw"), ("7", "8"), 35),
    ("bayern", "Autohaus Bayern", "agent", ("seat",), ("9",), 10),
    ("import", "Importeur Deutschland", "distributor", (), ("",), None),
)


def seed(app: Crm, conn: Connection, rng: random.Random, now: datetime) -> None:
    organisations = conn.execute(
        select(party_table.c.id)
        .where(party_table.c.kind == "organisation", party_table.c.role == "customer")
        .order_by(party_table.c.id)
        .limit(len(NETWORK))
    ).scalars()
    hours: dict[str, Any] = {day: WEEKDAY_HOURS for day in ("mon", "tue", "wed", "thu", "fri")}
    hours["sat"] = SATURDAY_HOURS
    for party_id, (code, name, kind, brands, prefixes, capacity) in zip(
        list(organisations), NETWORK, strict=False
    ):
        partner_id = conn.execute(
            insert(partner).returning(partner.c.id),
            {
                "party_id": party_id,
                "code": code,
                "name": name,
                "kind": kind,
                "capacity_per_day": capacity,
                "opening_hours": hours,
                "time_zone": "Europe/Berlin",
                "active": True,
                "accepts_fallback": kind == "distributor",
                "created_at": now,
                "updated_at": now,
                "version": 1,
            },
        ).scalar_one()
        if brands:
            conn.execute(
                insert(partner_brand), [{"partner_id": partner_id, "brand": b} for b in brands]
            )
        conn.execute(
            insert(partner_region),
            [{"partner_id": partner_id, "country": "DE", "postcode_prefix": p} for p in prefixes],
        )
