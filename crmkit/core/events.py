"""Domain events: written to the outbox inside the transaction, delivered after commit.

Delivery is at least once per subscriber (each ``on_event`` implementation).
A subscriber that fails is retried alone, with back-off; the others are not
called again. ``Event.id`` is stable across retries, so subscribers use it as
an idempotency key.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from attrs import frozen
from sqlalchemy import Connection, Engine, and_, bindparam, insert, or_, select, update

from crmkit.core.bulk import allocate_ids, bulk_insert
from crmkit.core.db import writing
from crmkit.core.errors import ValidationError
from crmkit.core.tables import outbox, utcnow

if TYPE_CHECKING:
    from crmkit.core.db import Transaction
    from crmkit.hooks.host import PluginHost

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
"""How long a deliverer owns the events it claimed before another may take them over."""
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
    "prospect.received",
    "match_review.opened",
    "match_review.decided",
    "interaction.logged",
    "user.created",
    "user.updated",
)
KERNEL_ENTITIES: tuple[str, ...] = ("prospect", "customer", "match_review", "interaction", "user")
"""The kinds of entity the kernel's events are about (an event's ``entity``)."""


@frozen
class EventType:
    """A kind of event a plugin emits (``<plugin>.<event>``), with what it means.

    ``entity`` is the kind of entity its events are about, which a webhook
    subscription's ``entity`` filter names.
    """

    name: str
    description: str
    entity: str | None = None


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


_INSERT = insert(outbox).returning(outbox.c.id)
"""Built once; the values are bound at execution (the compiled form is cached)."""


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
        _INSERT,
        {
            "event_type": event_type,
            "entity": entity,
            "entity_id": key,
            "payload": payload,
            "actor_id": tx.actor.user_id,
            "created_at": now,
            "attempts": 0,
            "delivered_at": delivered,
        },
    ).scalar_one()
    return Event(row_id, event_type, entity, key, payload, tx.actor.user_id, now)


def write_events(
    tx: Transaction, events: Sequence[tuple[str, str | None, Any, dict[str, Any]]]
) -> list[Event]:
    """Insert outbox rows in ``tx`` in one statement, in order: as :func:`write_event` each
    ``(event_type, entity, entity_id, payload)`` would, for the events of a batch."""
    if not events:
        return []
    known = getattr(tx.app, "event_types", None)
    for event_type, *_ in events:
        if known is not None and event_type not in known:
            raise ValidationError("event_type", f"event type {event_type!r} is not registered")
    now = utcnow()
    delivered = None if tx.hooks.implementers("on_event") else now
    rows: list[dict[str, Any]] = [
        {
            "event_type": event_type,
            "entity": entity,
            "entity_id": None if entity_id is None else str(entity_id),
            "payload": payload,
            "actor_id": tx.actor.user_id,
            "created_at": now,
            "attempts": 0,
            "delivered_at": delivered,
        }
        for event_type, entity, entity_id, payload in events
    ]
    ids = allocate_ids(tx.conn, outbox, len(rows))
    bulk_insert(tx.conn, outbox, [{**row, "id": i} for i, row in zip(ids, rows, strict=True)])
    return [
        Event(i, event_type, entity, row["entity_id"], payload, tx.actor.user_id, now)
        for i, row, (event_type, entity, _, payload) in zip(ids, rows, events, strict=True)
    ]


def _event(row: Any) -> Event:
    return Event(
        row.id, row.event_type, row.entity, row.entity_id, row.payload, row.actor_id, row.created_at
    )


def _claim(engine: Engine, ids: Iterable[int] | None, limit: int) -> tuple[list[Any], datetime]:
    """Lease up to ``limit`` due events; return them, oldest first, and when the lease ends."""
    now = utcnow()
    lease_end = now + LEASE
    due = and_(
        outbox.c.delivered_at.is_(None),
        or_(outbox.c.next_attempt_at.is_(None), outbox.c.next_attempt_at <= now),
    )
    chosen = select(outbox.c.id).where(due).order_by(outbox.c.id).limit(limit)
    if ids is not None:
        chosen = chosen.where(outbox.c.id.in_(list(ids)))
    with writing(engine) as conn:
        rows = conn.execute(
            update(outbox)
            .where(outbox.c.id.in_(chosen.scalar_subquery()), due)
            .values(next_attempt_at=lease_end)
            .returning(*outbox.c)
        ).all()
    return sorted(rows, key=lambda r: r.id), lease_end


_MARK = update(outbox).where(
    outbox.c.id == bindparam("event_id"), outbox.c.next_attempt_at == bindparam("lease_end")
)
"""Records one delivery attempt, if the lease is still ours; executed once for many events."""


def _record(conn: Connection, lease_end: datetime, outcomes: list[dict[str, Any]]) -> None:
    if outcomes:
        conn.execute(_MARK, [{**outcome, "lease_end": lease_end} for outcome in outcomes])


def _renew(
    engine: Engine, lease_end: datetime, outcomes: list[dict[str, Any]], pending: list[int]
) -> tuple[datetime, set[int]]:
    """Record ``outcomes`` and extend the lease on ``pending``; return the new end and the ids kept.

    The lease end doubles as the owner's token: another deliverer's claim always sets
    a later one, so an event whose end changed has been taken over.
    """
    renewed_end = utcnow() + LEASE
    with writing(engine) as conn:
        _record(conn, lease_end, outcomes)
        kept = conn.execute(
            update(outbox)
            .where(outbox.c.id.in_(pending), outbox.c.next_attempt_at == lease_end)
            .values(next_attempt_at=renewed_end)
            .returning(outbox.c.id)
        ).scalars()
        return renewed_end, set(kept)


def _attempt(hooks: PluginHost, app: Any, subscribers: list[str], row: Any) -> dict[str, Any]:
    """Hand one event to the subscribers still waiting for it; return the outcome to record."""
    wanted = subscribers if row.pending_subscribers is None else row.pending_subscribers
    failures = hooks.advise("on_event", only=wanted, app=app, event=_event(row)) if wanted else {}
    attempts = row.attempts + 1
    # Every outcome sets the same columns, so that one executemany records them all.
    if failures:
        backoff = min(timedelta(seconds=2**attempts), MAX_BACKOFF)
        errors = "; ".join(f"{name}: {exc!r}" for name, exc in failures.items())
        outcome = {
            "pending_subscribers": sorted(failures),
            "delivered_at": None,
            "next_attempt_at": utcnow() + backoff,
            "last_error": errors[:4000],
        }
    else:
        outcome = {
            "pending_subscribers": [],
            "delivered_at": utcnow(),
            "next_attempt_at": None,
            "last_error": row.last_error,
        }
    return {"event_id": row.id, "attempts": attempts, **outcome}


def deliver(
    engine: Engine, hooks: PluginHost, app: Any, ids: Iterable[int] | None = None, limit: int = 500
) -> int:
    """Deliver due outbox events (only ``ids`` if given) to ``on_event``; return how many were handled.

    Outcomes are recorded together, after the batch or whenever a quarter of the lease
    has passed: then the lease on the rest of the batch is renewed, so that a slow
    subscriber does not let another deliverer take the batch over and deliver it again.
    Events taken over all the same (one event held up past the lease) are left to the
    new owner. An event delivered by a process that dies before recording it is
    delivered again once its lease expires.
    """
    renewed = time.monotonic()
    rows, lease_end = _claim(engine, ids, limit)
    if not rows:
        return 0
    subscribers = hooks.implementers("on_event")
    renew_after = LEASE.total_seconds() / 4
    waiting = deque(rows)
    outcomes: list[dict[str, Any]] = []
    handled = 0
    while waiting:
        if time.monotonic() - renewed >= renew_after:
            renewed = time.monotonic()
            pending = [row.id for row in waiting]
            lease_end, kept = _renew(engine, lease_end, outcomes, pending)
            outcomes = []
            waiting = deque(row for row in waiting if row.id in kept)
            continue
        outcomes.append(_attempt(hooks, app, subscribers, waiting.popleft()))
        handled += 1
    if outcomes:
        with writing(engine) as conn:
            _record(conn, lease_end, outcomes)
    return handled


class Dispatcher:
    """Delivers committed events from a thread of its own, so that no command waits for them.

    Handed-over ids are delivered in batches, oldest first. Ids still queued when the
    process dies stay undelivered in the outbox, where the ``core.deliver_outbox`` job
    finds them: delivery stays at least once.
    """

    def __init__(self, deliver: Callable[[Sequence[int]], int], batch: int = 500) -> None:
        self._deliver = deliver
        self._batch = batch
        self._pending: list[int] = []
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False

    def start(self) -> None:
        """Start the delivery thread (once)."""
        with self._wake:
            if self._thread is not None:
                return
            self._stopping = False
            self._thread = threading.Thread(
                target=self._run, name="crmkit-event-dispatcher", daemon=True
            )
            self._thread.start()

    def submit(self, ids: Sequence[int]) -> bool:
        """Queue ``ids`` for delivery; False when the thread is not running (deliver them yourself)."""
        with self._wake:
            if self._thread is None or self._stopping:
                return False
            self._pending.extend(ids)
            self._wake.notify()
            return True

    def stop(self) -> None:
        """Deliver what was handed over, then end the thread."""
        with self._wake:
            thread = self._thread
            if thread is None:
                return
            self._stopping = True
            self._wake.notify()
        thread.join()
        with self._wake:
            self._thread = None

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._pending and not self._stopping:
                    self._wake.wait()
                if not self._pending:
                    return
                ids, self._pending = self._pending[: self._batch], self._pending[self._batch :]
            try:
                self._deliver(ids)
            except Exception:
                log.exception("delivering events failed; the outbox job will retry")
