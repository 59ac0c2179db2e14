"""The routing part's scheduled jobs: offers not accepted in time are routed on."""

from __future__ import annotations

from datetime import timedelta

from crmkit import Job
from crmkit_dms.routing.expiry import route_on_expired

JOBS = [
    Job(
        "dms.route_on_expired",
        route_on_expired,
        every=timedelta(minutes=5),
        description="Offer leads not accepted by their deadline to the next partner, "
        "or put them in the fallback queue",
    )
]
