"""The campaigns part's job: ``campaigns.send``, run by ``crmkit worker``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from crmkit import Job


def _send(app: Any) -> None:
    # The sending code loads only where the job runs.
    from crmkit_campaigns.campaigns.sending import send_due

    send_due(app)


JOBS: list[Job] = [
    Job(
        "campaigns.send",
        _send,
        every=timedelta(seconds=1),
        description="Queue the next members of sending campaigns (schedule, throttle, quiet hours)",
    )
]
