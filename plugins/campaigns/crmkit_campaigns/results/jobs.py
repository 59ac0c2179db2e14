"""The results part's scheduled jobs: ``campaigns.track`` every five minutes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, or_, select

from crmkit import Job, utcnow
from crmkit_campaigns.campaigns.tables import campaign
from crmkit_campaigns.results.attribution import refresh_conversions
from crmkit_campaigns.results.statuses import refresh_statuses

LIVE = ("sending", "paused")
ENDED = ("completed", "cancelled")


def track(app: Any) -> int:
    """Refresh member statuses and conversions of the campaigns sending, paused, or ended within
    ``track_completed_days``, a transaction per campaign; how many were refreshed."""
    days: int = app.settings_of["campaigns"].results.track_completed_days
    since = utcnow() - timedelta(days=days)
    with app.read() as conn:
        ids = (
            conn.execute(
                select(campaign.c.id)
                .where(
                    or_(
                        campaign.c.status.in_(LIVE),
                        campaign.c.status.in_(ENDED)
                        & (func.coalesce(campaign.c.completed_at, campaign.c.updated_at) >= since),
                    )
                )
                .order_by(campaign.c.id)
            )
            .scalars()
            .all()
        )
    for campaign_id in ids:
        # One campaign at a time: a short transaction each, so sending is not held up.
        with app.transaction() as tx:
            refresh_statuses(tx, campaign_id)
            refresh_conversions(tx, campaign_id)
    return len(ids)


JOBS: list[Job] = [
    Job(
        "campaigns.track",
        track,
        every=timedelta(minutes=5),
        description="Member statuses from delivery and tracking, and conversions, of live campaigns",
    )
]
