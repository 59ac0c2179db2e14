"""The rollups part's jobs: a rebuild on demand, and forgetting old applied event ids."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from crmkit import Job
from crmkit_analytics.rollups import feed


def _rebuild(app: Any) -> None:
    feed.rebuild(app)


def _forget_applied(app: Any) -> None:
    settings = app.settings_of["analytics"].rollups
    feed.forget_applied(app, timedelta(days=settings.keep_applied_days))


def _catch_up(app: Any) -> None:
    feed.catch_up(app)


JOBS = [
    Job(
        "analytics.catch_up",
        _catch_up,
        every=timedelta(minutes=5),
        description="Refresh the rollups of records changed without an event "
        "(sources that report their changes)",
    ),
    Job(
        "analytics.rebuild_rollups",
        _rebuild,
        description="Recompute every analytics source's rollups and purchases from its tables",
    ),
    Job(
        "analytics.forget_applied_events",
        _forget_applied,
        every=timedelta(days=1),
        description="Forget the ids of events applied to the rollups long ago "
        "(no redelivery comes that late)",
    ),
]
