"""The segments part of ``crmkit demo``: saved segments a marketer would keep, a static list of
trade fair visitors and a suppression list.

Rows are inserted as the service would store them (definitions it accepts), set-based and
deterministic from ``rng``.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from crmkit import party_table, user_table
from crmkit_campaigns.segments.tables import list_address, list_member, party_list, segment

FAIR_VISITORS = 150
SUPPRESSED = 25
SUPPRESSED_ADDRESSES = ("complaints@example.com", "no-marketing@example.org", "legal@example.net")


def definitions(with_orders: bool, fair_list_id: int) -> list[tuple[str, str, dict[str, Any]]]:
    """The demo's saved segments: name, description, definition."""
    found: list[tuple[str, str, dict[str, Any]]] = [
        (
            "Customers around Munich",
            "Customers whose first address is in postcode area DE-8",
            {
                "all": [
                    {"criterion": "role", "op": "eq", "value": "customer"},
                    {"criterion": "territory", "op": "in", "value": ["DE-8"]},
                ]
            },
        ),
        (
            "Prospects gone quiet",
            "Prospects who did not opt out of email marketing and had no interaction in 90 days",
            {
                "all": [
                    {"criterion": "role", "op": "eq", "value": "prospect"},
                    {
                        "criterion": "consent",
                        "op": "ne",
                        "value": "withdrawn",
                        "with": {"purpose": "marketing", "channel": "email"},
                    },
                    {"criterion": "interactions", "op": "none", "with": {"within_days": 90}},
                ]
            },
        ),
        (
            "DACH correspondents",
            "Parties in Germany, Austria or Switzerland who replied to an email in a year",
            {
                "all": [
                    {"criterion": "country", "op": "in", "value": ["DE", "AT", "CH"]},
                    {
                        "criterion": "interactions",
                        "op": "any",
                        "with": {"channel": "email", "outcome": "replied", "within_days": 365},
                    },
                ]
            },
        ),
        (
            "Fair visitors still prospects",
            "Trade fair visitors who have not bought yet",
            {
                "all": [
                    {"criterion": "list", "op": "in", "value": fair_list_id},
                    {"criterion": "role", "op": "eq", "value": "prospect"},
                ]
            },
        ),
    ]
    if with_orders:
        found.append(
            (
                "Pump owners due for an upgrade",
                "German customers who bought pumps over half a year ago and opened no email in six"
                " months",
                {
                    "all": [
                        {"criterion": "role", "op": "eq", "value": "customer"},
                        {"criterion": "country", "op": "eq", "value": "DE"},
                        {
                            "criterion": "orders",
                            "op": "any",
                            "with": {"product_group": "pumps", "older_than_days": 182},
                        },
                        {
                            "criterion": "interactions",
                            "op": "none",
                            "with": {"channel": "email", "outcome": "open", "within_days": 182},
                        },
                    ]
                },
            )
        )
    return found


def seed(app: Any, conn: Connection, rng: random.Random, now: datetime) -> None:
    """Realistic demo rows of the part, for `crmkit demo`."""
    owner_id = conn.execute(
        select(user_table.c.id).where(user_table.c.role == "marketing").order_by(user_table.c.id)
    ).scalar()
    stamps = {"owner_id": owner_id, "created_by": owner_id, "created_at": now, "updated_at": now}
    party_ids = conn.execute(select(party_table.c.id).order_by(party_table.c.id)).scalars().all()
    customers = (
        conn.execute(
            select(party_table.c.id)
            .where(party_table.c.role == "customer")
            .order_by(party_table.c.id)
        )
        .scalars()
        .all()
    )
    fair_id, suppression_id = (
        conn.execute(
            insert(party_list)
            .values(kind=kind, name=name, description=description, version=1, **stamps)
            .returning(party_list.c.id)
        ).scalar_one()
        for kind, name, description in (
            ("static", "Trade fair visitors 2026", "Scanned badges of the spring trade fair"),
            ("suppression", "Do not contact", "Asked not to receive any marketing, in writing"),
        )
    )
    visitors = rng.sample(party_ids, min(FAIR_VISITORS, len(party_ids)))
    suppressed = rng.sample(customers, min(SUPPRESSED, len(customers)))
    rows = [{"list_id": fair_id, "party_id": p, "added_at": now} for p in sorted(visitors)]
    rows += [
        {"list_id": suppression_id, "party_id": p, "added_at": now} for p in sorted(suppressed)
    ]
    if rows:
        conn.execute(insert(list_member), rows)
    conn.execute(
        insert(list_address),
        [{"list_id": suppression_id, "address": a, "added_at": now} for a in SUPPRESSED_ADDRESSES],
    )
    with_orders = "sfa" in app.host.loaded
    conn.execute(
        insert(segment),
        [
            {"name": name, "description": text, "definition": definition, "version": 1, **stamps}
            for name, text, definition in definitions(with_orders, fair_id)
        ],
    )
