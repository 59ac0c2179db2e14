"""Kernel job: send outbox events to the webhook subscriptions (``crmkit worker`` runs it)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from crmkit.core.jobs import Job
from crmkit.hooks.markers import hookimpl


def _deliver(app: Any) -> None:
    # httpx and the delivery code load only where the job runs, not with every command.
    from crmkit.core.webhook_delivery import deliver_webhooks

    deliver_webhooks(app)


@hookimpl
def register_jobs() -> list[Job]:
    return [
        Job(
            "core.deliver_webhooks",
            _deliver,
            every=timedelta(seconds=2),
            description="Send new events to webhook subscriptions and retry failed deliveries",
        ),
    ]
