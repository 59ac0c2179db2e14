"""The order book's scheduled work: quotations whose validity has passed are marked expired."""

from __future__ import annotations

from datetime import timedelta

from crmkit import Job
from crmkit_sfa.quotes.quotations import expire_quotations

JOBS = [
    Job(
        "sfa.expire_quotations",
        expire_quotations,
        every=timedelta(hours=1),
        description="Mark sent quotations past their validity as expired",
    )
]
