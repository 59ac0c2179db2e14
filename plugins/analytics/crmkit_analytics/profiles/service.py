"""Building the profiles: set-based queries over the purchases and interactions, numpy for the
scores, one transaction that replaces every profile (so that a crash leaves the old ones)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import numpy as np
from attrs import frozen
from sqlalchemy import Connection, delete, extract, func, insert, select

from crmkit import Crm, interaction_table, utcnow
from crmkit_analytics.profiles import scoring
from crmkit_analytics.profiles.settings import ProfilesSettings
from crmkit_analytics.profiles.tables import profile
from crmkit_analytics.transactions.tables import purchase

BATCH = 5000
DAY = 86400.0


@frozen
class Profile:
    """A customer's RFM profile and buying patterns."""

    party_id: int
    recency_days: float
    frequency: int
    monetary: float
    r_score: int
    f_score: int
    m_score: int
    band: str
    band_label: str
    top_groups: list[str]
    months: list[int]
    preferred_channel: str | None
    last_purchase_at: datetime
    last_contact_at: datetime | None
    computed_at: datetime

    @classmethod
    def of(cls, row: Any) -> Profile:
        return cls(
            party_id=row.party_id,
            recency_days=row.recency_days,
            frequency=row.frequency,
            monetary=row.monetary,
            r_score=row.r_score,
            f_score=row.f_score,
            m_score=row.m_score,
            band=row.band,
            band_label=scoring.BAND_LABELS.get(row.band, row.band),
            top_groups=list(row.top_groups),
            months=list(row.months),
            preferred_channel=row.preferred_channel,
            last_purchase_at=row.last_purchase_at,
            last_contact_at=row.last_contact_at,
            computed_at=row.computed_at,
        )


def _by_party(rows: Any) -> dict[int, list[tuple[Any, float]]]:
    found: dict[int, list[tuple[Any, float]]] = defaultdict(list)
    for party_id, key, weight in rows:
        if key is not None:
            found[party_id].append((key, float(weight)))
    return found


def compute(
    conn: Connection, settings: ProfilesSettings, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Every customer's profile as of ``now`` (purchases after it are left out), unsaved."""
    now = now or utcnow()
    bought = purchase.c.occurred_at <= now
    orders = func.count(func.distinct(purchase.c.order_ref))
    totals = conn.execute(
        select(
            purchase.c.party_id,
            func.max(purchase.c.occurred_at),
            orders,
            func.sum(purchase.c.amount),
        )
        .where(bought)
        .group_by(purchase.c.party_id)
        .order_by(purchase.c.party_id)
    ).all()
    if not totals:
        return []
    party_ids = [row[0] for row in totals]
    last = [row[1] for row in totals]
    recency = np.array([(now - at).total_seconds() / DAY for at in last])
    frequency = np.array([row[2] for row in totals], dtype=np.float64)
    monetary = np.array([row[3] or 0.0 for row in totals], dtype=np.float64)
    r, f, m = scoring.rfm_scores(recency, frequency, monetary)
    band = scoring.bands(r, f, frequency)

    groups = _by_party(
        conn.execute(
            select(purchase.c.party_id, purchase.c.product_group, func.sum(purchase.c.amount))
            .where(bought, purchase.c.product_group.is_not(None))
            .group_by(purchase.c.party_id, purchase.c.product_group)
        )
    )
    channels = _by_party(
        conn.execute(
            select(purchase.c.party_id, purchase.c.channel, orders)
            .where(bought, purchase.c.channel.is_not(None))
            .group_by(purchase.c.party_id, purchase.c.channel)
        )
    )
    month = extract("month", purchase.c.occurred_at)
    months = _by_party(
        conn.execute(
            select(purchase.c.party_id, month, orders)
            .where(bought)
            .group_by(purchase.c.party_id, month)
        )
    )
    contacts = dict(
        conn.execute(
            select(interaction_table.c.party_id, func.max(interaction_table.c.occurred_at))
            .where(interaction_table.c.occurred_at <= now)
            .group_by(interaction_table.c.party_id)
        ).all()
    )
    rows = []
    for i, party_id in enumerate(party_ids):
        by_spend = sorted(groups.get(party_id, []), key=lambda g: (-g[1], g[0]))
        by_orders = sorted(channels.get(party_id, []), key=lambda c: (-c[1], c[0]))
        month_orders = months.get(party_id, [])
        total = sum(n for _, n in month_orders) or 1.0
        rows.append(
            {
                "party_id": party_id,
                "recency_days": float(recency[i]),
                "frequency": int(frequency[i]),
                "monetary": float(monetary[i]),
                "r_score": int(r[i]),
                "f_score": int(f[i]),
                "m_score": int(m[i]),
                "band": str(band[i]),
                "top_groups": [g for g, _ in by_spend[: settings.top_groups]],
                "months": sorted(
                    int(mo) for mo, n in month_orders if n / total >= settings.min_month_share
                ),
                "preferred_channel": by_orders[0][0] if by_orders else None,
                "last_purchase_at": last[i],
                "last_contact_at": contacts.get(party_id),
                "computed_at": now,
            }
        )
    return rows


def rebuild(conn: Connection, settings: ProfilesSettings, now: datetime | None = None) -> int:
    """Replace every profile on ``conn`` (the caller's transaction); the number of profiles."""
    rows = compute(conn, settings, now)
    conn.execute(delete(profile))
    for start in range(0, len(rows), BATCH):
        conn.execute(insert(profile), rows[start : start + BATCH])
    return len(rows)


def refresh(app: Crm, now: datetime | None = None) -> int:
    """Rebuild every profile in one transaction; the number of profiles."""
    with app.transaction() as tx:
        return rebuild(tx.conn, app.settings_of["analytics"].profiles, now)


def refresh_job(app: Crm) -> str:
    return f"{refresh(app)} profile(s)"


def profile_of(conn: Connection, party_id: int) -> Profile | None:
    row = conn.execute(select(profile).where(profile.c.party_id == party_id)).first()
    return None if row is None else Profile.of(row)
