"""The webhooks part's jobs: stored changes processed, old ones forgotten."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from crmkit import Job


def _process(app: Any) -> dict[str, int]:
    from crmkit_social.webhooks.process import process_pending

    return process_pending(app)


def _purge(app: Any) -> int:
    from crmkit_social.webhooks.process import purge_done, settings_of

    return purge_done(app, settings_of(app).keep_days)


JOBS = [
    Job(
        "social.process_changes",
        _process,
        every=timedelta(seconds=2),
        description="Hand the changes Meta delivered to their handlers; retry failed ones",
    ),
    Job(
        "social.purge_changes",
        _purge,
        every=timedelta(days=1),
        description="Forget processed, ignored and refused deliveries after keep_days",
    ),
]
