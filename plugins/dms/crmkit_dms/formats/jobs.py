"""The formats part's scheduled jobs: leads exported to partners' DMS endpoints."""

from __future__ import annotations

from datetime import timedelta

from crmkit import Job
from crmkit_dms.formats.outbound import send_leads

JOBS = [
    Job(
        "dms.send_leads",
        send_leads,
        every=timedelta(minutes=1),
        description="Send each lead offered to a partner with an ADF endpoint to its DMS, with retries",
    )
]
