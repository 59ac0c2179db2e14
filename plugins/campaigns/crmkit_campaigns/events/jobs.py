"""The events part's scheduled jobs: one reminder for each confirmed registrant."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from attrs import frozen
from crmkit_channels import send_many
from sqlalchemy import select, update

from crmkit import Job, utcnow
from crmkit_campaigns.events import emails
from crmkit_campaigns.events.settings import EventSettings
from crmkit_campaigns.events.tables import event, registration

BATCH = 500


def send_reminders(app: Any) -> int:
    """Remind each confirmed registrant of a published event starting within ``reminder_hours``.

    The sent flag (``reminded_at``) is set by a conditional UPDATE in the transaction
    that queues the emails: a reminder is queued once, or (on a rollback) not at all.
    Returns how many were queued.
    """
    settings: EventSettings = app.settings_of["campaigns"].events
    now = utcnow()
    horizon = now + timedelta(hours=settings.reminder_hours)
    queued = 0
    while True:
        with app.transaction() as tx:
            due = (
                select(registration.c.id)
                .join(event, event.c.id == registration.c.event_id)
                .where(
                    registration.c.status == "confirmed",
                    registration.c.reminded_at.is_(None),
                    registration.c.party_id.is_not(None),
                    event.c.status == "published",
                    event.c.starts_at > now,
                    event.c.starts_at <= horizon,
                )
                .order_by(registration.c.id)
                .limit(BATCH)
            )
            ids = list(
                tx.conn.execute(
                    update(registration)
                    .where(
                        registration.c.id.in_(due.scalar_subquery()),
                        registration.c.reminded_at.is_(None),
                    )
                    .values(reminded_at=now)
                    .returning(registration.c.id)
                ).scalars()
            )
            if not ids:
                return queued
            rows = tx.conn.execute(
                select(
                    registration,
                    event.c.slug,
                    event.c.name,
                    event.c.starts_at,
                    event.c.ends_at,
                    event.c.time_zone,
                    event.c.venue,
                    event.c.online_url,
                )
                .join(event, event.c.id == registration.c.event_id)
                .where(registration.c.id.in_(ids))
                .order_by(registration.c.id)
            ).all()
            send_many(tx, [emails.message(app, emails.REMINDER, r, _EventView.of(r)) for r in rows])
            queued += len(rows)


@frozen
class _EventView:
    """The event columns of a joined reminder row, under the names emails.message reads."""

    id: int
    slug: str
    name: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    venue: str | None
    online_url: str | None

    @classmethod
    def of(cls, row: Any) -> _EventView:
        return cls(
            row.event_id,
            row.slug,
            row.name,
            row.starts_at,
            row.ends_at,
            row.time_zone,
            row.venue,
            row.online_url,
        )


JOBS = [
    Job(
        "campaigns.event_reminders",
        send_reminders,
        every=timedelta(minutes=15),
        description="Email each confirmed registrant one reminder before their event starts",
    )
]
