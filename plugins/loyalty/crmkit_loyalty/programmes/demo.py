"""The programmes part's demo data: the programme "Acme Rewards" with its tiers, rules and
rewards, written in bulk as a restore would (no events, no audit entries).

A product group rule is added when the sfa plugin is loaded and its catalogue has product
groups, a behaviour rule when a plugin announces ``surveys.answered``.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select

from crmkit import Crm, user_table
from crmkit_loyalty.programmes.behaviours import behaviours
from crmkit_loyalty.programmes.tables import programme, reward, rule, tier

NAME = "Acme Rewards"
TIERS = (
    ("Member", 0, "1", "Points on every purchase"),
    ("Silver", 1_000, "1.25", "25 % more points, priority hotline"),
    ("Gold", 5_000, "1.5", "50 % more points, free annual service check, lounge access"),
    ("Platinum", 15_000, "2", "Double points, a personal advisor, invitations to launches"),
)
REWARDS = (
    ("Voucher 10 EUR", "A 10 EUR voucher for the next order", 1_000, 0, None),
    ("Service check", "An annual service check of one installation", 2_500, 0, None),
    ("Lounge day pass", "A day in the partner lounge at the trade fair", 4_000, 2, 20),
)
SURVEY = "surveys.answered"


def _product_groups(app: Crm, conn: Connection) -> list[str]:
    if "sfa" not in app.host.loaded:
        return []
    from crmkit_sfa import product_table

    found = conn.execute(
        select(product_table.c.product_group)
        .where(product_table.c.product_group.is_not(None))
        .distinct()
    ).scalars()
    return sorted(found)


def _rules(app: Crm, conn: Connection, rng: random.Random) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = [
        {"kind": "spend", "name": "1 point per EUR", "points_per_unit": Decimal(1)},
        {"kind": "referral", "name": "Recommend us to a friend", "points": 500},
    ]
    groups = _product_groups(app, conn)
    if groups:
        group = rng.choice(groups)
        rules.append(
            {
                "kind": "product_group",
                "name": f"Double points on {group}",
                "product_group": group,
                "points_per_unit": Decimal(2),
            }
        )
    if SURVEY in behaviours(app.host):
        rules.append(
            {
                "kind": "behaviour",
                "name": "Answered a survey",
                "behaviour": SURVEY,
                "points": 50,
                "max_per_party_per_year": 4,
            }
        )
    return rules


def seed(app: Crm, conn: Connection, rng: random.Random, now: datetime) -> None:
    """Write the demo programme, dated two years back (the ledger's history starts there)."""
    since = now - timedelta(days=735)
    author = conn.execute(
        select(user_table.c.id).where(user_table.c.role == "marketing").order_by(user_table.c.id)
    ).scalar()
    programme_id = conn.execute(
        insert(programme)
        .values(
            name=NAME,
            description="Points on every purchase, tiers with more points and service, rewards.",
            status="active",
            currency="EUR",
            points_expire_months=24,
            qualification_months=12,
            downgrade="one_step",
            auto_enrol=1,
            created_by=author,
            created_at=since,
            updated_at=since,
            version=1,
        )
        .returning(programme.c.id)
    ).scalar_one()
    conn.execute(
        insert(tier),
        [
            {
                "programme_id": programme_id,
                "name": name,
                "rank": rank,
                "threshold": threshold,
                "multiplier": Decimal(multiplier),
                "benefits": benefits,
                "version": 1,
            }
            for rank, (name, threshold, multiplier, benefits) in enumerate(TIERS)
        ],
    )
    columns = ("points_per_unit", "product_group", "behaviour", "points", "max_per_party_per_year")
    conn.execute(
        insert(rule),
        [
            {
                **{c: None for c in columns},
                **made,
                "programme_id": programme_id,
                "valid_from": None,
                "valid_until": None,
                "active": 1,
                "created_at": since,
                "updated_at": since,
                "version": 1,
            }
            for made in _rules(app, conn, rng)
        ],
    )
    conn.execute(
        insert(reward),
        [
            {
                "programme_id": programme_id,
                "name": name,
                "description": description,
                "points": points,
                "min_tier_rank": rank,
                "stock": stock,
                "active": 1,
                "created_at": since,
                "updated_at": since,
                "version": 1,
            }
            for name, description, points, rank, stock in REWARDS
        ],
    )
