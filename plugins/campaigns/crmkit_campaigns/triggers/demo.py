"""The triggers part of ``crmkit demo``: after-sales campaigns on what the demo customers own.

- *Warranty ending* (with the service plugin): customers whose asset's warranty ends within
  30 days;
- *Pumps a year on* (with the sfa plugin): customers who bought pumps a year ago.

Both are paused, like the demo's other campaigns that could send: resume one and the daily
job ``campaigns.triggers`` enters its customers (its page previews whom). Without the
plugin a trigger needs, its campaign is left out.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from crmkit import user_table
from crmkit_campaigns.campaigns.tables import campaign, variant

CAMPAIGNS = (
    (
        "service",
        "Warranty ending",
        {"name": "service.warranty_ending", "parameters": {"days": 30}},
        None,
        "Your warranty ends soon",
        "Hello {{ party.first_name }}, the warranty of your equipment ends in a month. "
        "Extend it now and stay covered.",
    ),
    (
        "sfa",
        "Pumps a year on",
        {
            "name": "campaigns.replacement_age",
            "parameters": {"product_group": "pumps", "years": 1},
        },
        "pumps",
        "A year with your new pump",
        "Hello {{ party.first_name }}, your pump has run for a year: book its first check-up.",
    ),
)


def seed(app: Any, conn: Connection, rng: random.Random, now: datetime) -> None:
    """Realistic demo rows of the part, for `crmkit demo`."""
    owner_id = conn.execute(
        select(user_table.c.id).where(user_table.c.role.in_(("marketing", "admin"))).limit(1)
    ).scalar_one_or_none()
    for plugin, name, trigger, group, subject, text in CAMPAIGNS:
        if plugin not in app.host.loaded:
            continue
        campaign_id = conn.execute(
            insert(campaign)
            .values(
                name=name,
                kind="triggered",
                status="paused",
                purpose="marketing",
                trigger=trigger,
                product_group=group,
                time_zone="Europe/Berlin",
                test_share=0,
                currency="EUR",
                owner_id=owner_id,
                created_by=owner_id,
                created_at=now,
                updated_at=now,
                version=1,
            )
            .returning(campaign.c.id)
        ).scalar_one()
        conn.execute(
            insert(variant).values(
                campaign_id=campaign_id,
                channel="email",
                label="A",
                split=100,
                subject=subject,
                text=text,
                created_at=now,
            )
        )
