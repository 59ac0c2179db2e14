"""The suggestions part's job: recompute the association rules every night."""

from __future__ import annotations

from datetime import timedelta

from crmkit import Job
from crmkit_analytics.suggestions import service

JOBS: list[Job] = [
    Job(
        "analytics.suggestions",
        service.recompute,
        every=timedelta(hours=24),
        description="Recompute the product association rules behind cross-sell suggestions",
    )
]
