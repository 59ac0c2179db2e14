"""The plans part of ``crmkit demo``: the marketing plan of the demo year.

Its targets are set from what the demo data holds, a little above or below, so that the
plan's page shows every status: quarters met and missed, the running one ahead or behind,
the rest upcoming. Revenue targets are stored even without sfa (shown as not available).
"""

from __future__ import annotations

import random
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, insert, select, update

from crmkit import SYSTEM, user_table
from crmkit_campaigns.plans.actuals import actual_of
from crmkit_campaigns.plans.periods import read_period
from crmkit_campaigns.plans.progress import CENT
from crmkit_campaigns.plans.service import Target
from crmkit_campaigns.plans.tables import plan, target

QUARTERS = ("Q1", "Q2", "Q3", "Q4")
ROWS = (
    # metric, product group, region, a target when the demo holds nothing to go by
    ("leads", None, None, 400),
    ("leads", None, "DE", 150),
    ("conversions", None, None, 60),
    ("reach", "Heat pumps", None, 500),
    ("revenue", None, None, 250000),
)


def seed(app: Any, conn: Connection, rng: random.Random, now: datetime) -> None:
    """Realistic demo rows of the part, for `crmkit demo`."""
    owner_id = conn.execute(
        select(user_table.c.id).where(user_table.c.role.in_(("marketing", "admin"))).limit(1)
    ).scalar_one_or_none()
    year = now.year
    plan_id = conn.execute(
        insert(plan)
        .values(
            name=f"Marketing plan {year}",
            description="Leads, conversions and reach for the heat pump push, quarter by quarter.",
            owner_id=owner_id,
            starts_on=read_period("start", f"{year}-01").first_day,
            ends_on=read_period("end", f"{year}-12").first_day,
            created_by=owner_id,
            created_at=now,
            updated_at=now,
            version=1,
        )
        .returning(plan.c.id)
    ).scalar_one()
    rows = [
        {
            "plan_id": plan_id,
            "position": position,
            "period": f"{year}-{quarter}",
            "product_group": group,
            "region": region,
            "metric": metric,
            "value": Decimal(fallback),
            "currency": "EUR" if metric == "revenue" else None,
        }
        for position, (quarter, (metric, group, region, fallback)) in enumerate(
            (q, r) for q in QUARTERS for r in ROWS
        )
    ]
    conn.execute(insert(target), rows)
    settings = app.settings_of["campaigns"].plans
    _aim_near_actuals(app, conn, rng, now, plan_id, rows, settings.time_zone)


def _aim_near_actuals(
    app: Any,
    conn: Connection,
    rng: random.Random,
    now: datetime,
    plan_id: int,
    rows: list[dict[str, Any]],
    time_zone: str,
) -> None:
    """Set each target from the demo's actual of its period, a fifth above or below it."""
    zone = ZoneInfo(time_zone)
    for row in rows:
        period = read_period("period", row["period"])
        item = Target(
            0,
            row["period"],
            row["product_group"],
            row["region"],
            row["metric"],
            row["value"],
            row["currency"],
        )
        start, end = period.starts_at(zone), period.ends_at(zone)
        if start >= now:
            continue
        # The running quarter: what the whole quarter would bring at the pace so far.
        pace = (end - start) / (min(end, now) - start)
        actual = actual_of(app.host, conn, SYSTEM, item, start, min(end, now))
        if not actual:
            continue
        aimed = (actual * Decimal(str(pace * rng.uniform(0.8, 1.25)))).quantize(CENT, ROUND_HALF_UP)
        if row["metric"] != "revenue":
            aimed = aimed.quantize(Decimal(1), ROUND_HALF_UP)
        conn.execute(
            update(target)
            .where(target.c.plan_id == plan_id, target.c.position == row["position"])
            .values(value=max(aimed, Decimal(1)))
        )
