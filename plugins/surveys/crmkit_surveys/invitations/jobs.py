"""The invitations part's jobs, run by ``crmkit worker``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from crmkit import Job


def _send_due(app: Any) -> None:
    # The sending code loads only where the job runs.
    from crmkit_surveys.invitations.due import send_due

    send_due(app)


def _expire(app: Any) -> None:
    from crmkit_surveys.invitations.upkeep import run_expire

    run_expire(app)


def _check_deliveries(app: Any) -> None:
    from crmkit_surveys.invitations.upkeep import run_mark_failed

    run_mark_failed(app)


JOBS: list[Job] = [
    Job(
        "surveys.send_due",
        _send_due,
        every=timedelta(minutes=1),
        description="Send the invitations of after-event rules whose delay has passed",
    ),
    Job(
        "surveys.expire_invitations",
        _expire,
        every=timedelta(hours=1),
        description="Mark survey invitations past their expiry as expired",
    ),
    Job(
        "surveys.check_deliveries",
        _check_deliveries,
        every=timedelta(minutes=15),
        description="Mark survey invitations whose email failed or bounced as failed",
    ),
]
