"""Follow-up leads from an event's attendees, once it is done.

Each attendee the acting user may see is followed up once (``followed_up_at``,
claimed by a conditional UPDATE, so a second click, or two at once, creates
nothing new): an attendee who is not a customer yet goes through the kernel's
intake with the source ``event:<id>`` (scored, assigned, matched); a customer
becomes a task for their owner (else the event's owner, else the user acting).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from attrs import frozen
from sqlalchemy import select, update

from crmkit import (
    Transaction,
    ValidationError,
    create_task,
    party_table,
    seen_party_ids,
    take_in_prospect,
)
from crmkit_campaigns.events.registration import intake_data
from crmkit_campaigns.events.tables import event, registration

TASK_DUE = timedelta(days=3)


@frozen
class FollowUps:
    """What one run created: attendees taken in as leads, and tasks for customers' owners."""

    leads: int
    tasks: int


def create_follow_ups(tx: Transaction, event_id: int, now: datetime) -> FollowUps:
    """Follow up every attendee of the done event not followed up yet."""
    row = tx.conn.execute(select(event).where(event.c.id == event_id)).one()
    if row.status != "done":
        raise ValidationError("status", "follow-up leads are created once the event is done")
    claimed = tx.conn.execute(
        update(registration)
        .where(
            registration.c.event_id == event_id,
            registration.c.status == "attended",
            registration.c.followed_up_at.is_(None),
            registration.c.party_id.in_(seen_party_ids(tx.hooks, tx.actor)),
        )
        .values(followed_up_at=now)
        .returning(registration.c.id)
    ).scalars()
    ids = sorted(claimed)
    if not ids:
        return FollowUps(0, 0)
    attendees = tx.conn.execute(
        select(registration, party_table.c.role, party_table.c.owner_id.label("party_owner"))
        .join(party_table, party_table.c.id == registration.c.party_id)
        .where(registration.c.id.in_(ids))
        .order_by(registration.c.id)
    ).all()
    leads = tasks = 0
    for attendee in attendees:
        if attendee.role == "customer":
            owner = attendee.party_owner or row.owner_id or tx.actor.user_id
            if owner is None:
                continue
            create_task(
                tx,
                owner,
                f"Follow up: attended {row.name}"[:200],
                party_id=attendee.party_id,
                due_at=now + TASK_DUE,
                details=f"Checked in at {row.name} (event {event_id}).",
                source="campaigns",
            )
            tasks += 1
        else:
            data = intake_data(
                attendee.first_name or "",
                attendee.last_name or "",
                attendee.email or "",
                attendee.company,
                attendee.phone,
            )
            take_in_prospect(tx, data, source=f"event:{event_id}")
            leads += 1
    return FollowUps(leads, tasks)
