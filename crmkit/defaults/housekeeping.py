"""Kernel jobs: redeliver outbox events whose first delivery failed or was cut short."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from crmkit.core.jobs import Job
from crmkit.hooks.markers import hookimpl


def deliver_outbox(app: Any) -> None:
    while app.deliver_events():
        pass


@hookimpl
def register_jobs() -> list[Job]:
    return [
        Job(
            "core.deliver_outbox",
            deliver_outbox,
            every=timedelta(seconds=30),
            description="Deliver domain events not yet delivered to every subscriber",
        ),
    ]
