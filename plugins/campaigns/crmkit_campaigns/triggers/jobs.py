"""The triggers part's scheduled job: ``campaigns.triggers``, daily."""

from __future__ import annotations

from datetime import timedelta

from crmkit import Crm, Job, utcnow
from crmkit_campaigns.triggers.service import run_all


def run_triggers(app: Crm) -> None:
    """Enter the due occurrences of every active triggered campaign."""
    run_all(app, utcnow())


JOBS: list[Job] = [
    Job(
        "campaigns.triggers",
        run_triggers,
        every=timedelta(days=1),
        description="Enter the due occurrences of active after-sales campaigns as members",
    )
]
