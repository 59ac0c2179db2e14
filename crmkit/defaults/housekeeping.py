"""Kernel jobs: redeliver outbox events whose first delivery failed or was cut short, drop stale receipts and answers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from crmkit.core.idempotency import prune_answers
from crmkit.core.jobs import Job
from crmkit.core.receipts import prune_receipts
from crmkit.core.tables import utcnow
from crmkit.hooks.markers import hookimpl


def deliver_outbox(app: Any) -> None:
    while app.deliver_events():
        pass


def prune_signed_receipts(app: Any) -> None:
    with app.transaction() as tx:
        prune_receipts(tx, utcnow())


def prune_idempotency_answers(app: Any) -> None:
    kept = timedelta(hours=app.settings.idempotency_retention_hours)
    with app.transaction() as tx:
        prune_answers(tx, utcnow() - kept)


@hookimpl
def register_jobs() -> list[Job]:
    return [
        Job(
            "core.deliver_outbox",
            deliver_outbox,
            every=timedelta(seconds=30),
            description="Deliver domain events not yet delivered to every subscriber",
        ),
        Job(
            "core.prune_signed_receipts",
            prune_signed_receipts,
            every=timedelta(hours=1),
            description="Forget the ids of signed requests whose replays are refused for their age",
        ),
        Job(
            "core.prune_idempotency_answers",
            prune_idempotency_answers,
            every=timedelta(hours=1),
            description="Forget the answers kept for Idempotency-Key retries once their retention ends",
        ),
    ]
