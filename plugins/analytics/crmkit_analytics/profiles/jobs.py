"""The nightly profiles job (``crmkit jobs run analytics.profiles`` runs it now)."""

from __future__ import annotations

from datetime import timedelta

from crmkit import Job
from crmkit_analytics.profiles import service

JOBS: list[Job] = [
    Job(
        "analytics.profiles",
        service.refresh_job,
        every=timedelta(days=1),
        description="Rebuild every customer's RFM profile and buying patterns",
    )
]
