"""Domain events: written to the outbox inside the transaction, delivered after commit.

Delivery is at least once per subscriber (each ``on_event`` implementation).
A subscriber that fails is retried alone, with back-off; the others are not
called again. ``Event.id`` is stable across retries, so subscribers use it as
an idempotency key.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from attrs import frozen
from sqlalchemy import Engine, and_, insert, or_, select, update

from crmkit.core.errors import ValidationError
from crmkit.core.tables import outbox, utcnow

if TYPE_CHECKING:
    from crmkit.core.db import Transaction
    from crmkit.hooks.host import PluginHost

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
"""How long a dispatcher owns a claimed event before another may take it over."""
MAX_BACKOFF = timedelta(hours=1)

KERNEL_EVENT_TYPES: tuple[str, ...] = (
    "prospect.created",
    "prospect.updated",
    "prospect.converted",
    "customer.created",
    "customer.updated",
    "party.merged",
    "party.erased",
    "party.imported",
    "interaction.logged",
    "user.created",
    "user.updated",
)


@frozen
class EventType:
    """A kind of event a plugin emits (``<plugin>.<event>``), with what it means."""

    name: str
    description: str


@frozen
class Event:
    """Something that happened, as stored in the outbox."""

    id: int
    type: str
    entity: str | None
    entity_id: str | None
    payload: dict[str, Any]
    actor_id: int | None
    occurred_at: datetime


def write_event(
    tx: Transaction, event_type: str, entity: str | None, entity_id: Any, payload: dict[str, Any]
) -> Event:
    """Insert an outbox row in ``tx``; refuses event types nobody registered."""
    known = getattr(tx.app, "event_types", None)
    if known is not None and event_type not in known:
        raise ValidationError("event_type", f"event type {event_type!r} is not registered")
    now = utcnow()
    key = None if entity_id is None else str(entity_id)
    # With no subscriber there is nothing to deliver: the event is kept, already delivered.
    delivered = None if tx.hooks.implementers("on_event") else now
    row_id = tx.conn.execute(
        insert(outbox)
        .values(
            event_type=event_type,
            entity=entity,
            entity_id=key,
            payload=payload,
            actor_id=tx.actor.user_id,
            created_at=now,
            attempts=0,
            delivered_at=delivered,
        )
        .returning(outbox.c.id)
    ).scalar_one()
    return Event(row_id, event_type, entity, key, payload, tx.actor.user_id, now)


def _event(row: Any) -> Event:
    return Event(
        row.id, row.event_type, row.entity, row.entity_id, row.payload, row.actor_id, row.created_at
    )


def _claim(engine: Engine, ids: Iterable[int] | None, limit: int) -> list[Any]:
    now = utcnow()
    due = and_(
        outbox.c.delivered_at.is_(None),
        or_(outbox.c.next_attempt_at.is_(None), outbox.c.next_attempt_at <= now),
    )
    chosen = select(outbox.c.id).where(due).order_by(outbox.c.id).limit(limit)
    if ids is not None:
        chosen = chosen.where(outbox.c.id.in_(list(ids)))
    with engine.begin() as conn:
        rows = conn.execute(
            update(outbox)
            .where(outbox.c.id.in_(chosen.scalar_subquery()), due)
            .values(next_attempt_at=now + LEASE)
            .returning(*outbox.c)
        ).all()
    return sorted(rows, key=lambda r: r.id)


def deliver(
    engine: Engine, hooks: PluginHost, app: Any, ids: Iterable[int] | None = None, limit: int = 500
) -> int:
    """Deliver due outbox events (only ``ids`` if given) to ``on_event``; return how many were handled."""
    rows = _claim(engine, ids, limit)
    subscribers = hooks.implementers("on_event")
    for row in rows:
        wanted = subscribers if row.pending_subscribers is None else row.pending_subscribers
        failures = (
            hooks.advise("on_event", only=wanted, app=app, event=_event(row)) if wanted else {}
        )
        attempts = row.attempts + 1
        values: dict[str, Any]
        if failures:
            backoff = min(timedelta(seconds=2**attempts), MAX_BACKOFF)
            errors = "; ".join(f"{name}: {exc!r}" for name, exc in failures.items())
            values = {
                "attempts": attempts,
                "pending_subscribers": sorted(failures),
                "next_attempt_at": utcnow() + backoff,
                "last_error": errors[:4000],
            }
        else:
            values = {"attempts": attempts, "delivered_at": utcnow(), "pending_subscribers": []}
        with engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.id == row.id).values(**values))
    return len(rows)
