"""The nightly churn job (``crmkit jobs run analytics.churn`` runs it now)."""

from __future__ import annotations

from datetime import timedelta

from crmkit import Job
from crmkit_analytics.churn import service

JOBS: list[Job] = [
    Job(
        "analytics.churn",
        service.refresh_job,
        every=timedelta(days=1),
        description="Refit the churn model and score every customer's risk of leaving",
    )
]
