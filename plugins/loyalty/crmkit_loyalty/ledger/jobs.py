"""The ledger part's background jobs: points expire daily."""

from __future__ import annotations

from datetime import timedelta

from crmkit import Job
from crmkit_loyalty.ledger.expiry import expire_points

JOBS = [
    Job(
        "loyalty.expire_points",
        expire_points,
        every=timedelta(days=1),
        description="Expire what remains of each earning past its expiry date (first in, first out)",
    )
]
