"""The programmes part's scheduled job: ``loyalty.review_tiers``, daily."""

from __future__ import annotations

from datetime import timedelta

from crmkit import Crm, Job, utcnow
from crmkit_loyalty.programmes.review import review_tiers


def run_review(app: Crm) -> None:
    """Review the tiers of every member whose review date has passed."""
    review_tiers(app, utcnow(), app.settings_of["loyalty"].programmes.review_batch)


JOBS: list[Job] = [
    Job(
        "loyalty.review_tiers",
        run_review,
        every=timedelta(days=1),
        description="Keep or lower the tiers of members whose qualification period has ended",
    )
]
