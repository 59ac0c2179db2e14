"""The nightly lifetime value job (``crmkit jobs run analytics.clv`` runs it now)."""

from __future__ import annotations

from datetime import timedelta

from crmkit import Job
from crmkit_analytics.transactions import service

JOBS: list[Job] = [
    Job(
        "analytics.clv",
        service.refresh_job,
        every=timedelta(days=1),
        description="Fit BG/NBD and Gamma-Gamma on all purchases; store each party's value",
    )
]
