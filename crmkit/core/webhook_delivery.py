"""Sending outbox events to webhook subscriptions: fan-out, signed delivery, retries, disabling.

Two steps, each in the background jobs (never in a request):

* :func:`fan_out` reads the outbox in id order past a cursor and writes one
  delivery row per matching subscription and event, in the same transaction that
  moves the cursor: a crash loses nothing and writes nothing twice.
* :func:`deliver_due` leases due deliveries, POSTs them signed (Standard
  Webhooks), and records each outcome. A delivery waits while an earlier one about
  the same party to the same subscription is pending, so a subscriber sees a
  party's events in order. A process that dies mid-delivery leaves its lease to
  expire; the deliveries are then sent again with the same ``webhook-id``: at least
  once, and a receiver de-duplicates by that id.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from attrs import frozen
from sqlalchemy import (
    Connection,
    Engine,
    and_,
    bindparam,
    exists,
    func,
    insert,
    or_,
    select,
    text,
    update,
)

from crmkit.core.db import writing
from crmkit.core.event_feed import PARTY_ENTITIES
from crmkit.core.notifications import notify
from crmkit.core.signatures import secret_key, signed_headers
from crmkit.core.tables import (
    outbox,
    user,
    utcnow,
    webhook_cursor,
    webhook_delivery,
    webhook_subscription,
)
from crmkit.core.webhooks import ALL_EVENTS, get_subscription, message_id, subscription_secret

if TYPE_CHECKING:
    import aiohttp

    from crmkit.app import Crm

log = logging.getLogger(__name__)

CURSOR = "webhooks"
GAP_GRACE = timedelta(seconds=2)
"""A missing id is waited for at least this long, however soon the transactions end."""
USER_AGENT = "crmkit-webhooks"


@frozen
class DeliveryPolicy:
    """How deliveries are sent and retried.

    A failed attempt (a 5xx, 408 or 429 answer, a timeout, a connection error) is
    retried after ``first_retry``, doubling up to ``max_retry``, each delay drawn
    between half and all of it (jitter); after ``max_attempts`` the delivery is given
    up. Any other answer outside 2xx gives up at once. A subscription whose last
    ``disable_after`` attempts all failed is disabled and its owner and the
    administrators are notified.
    """

    timeout: float = 10.0
    first_retry: timedelta = timedelta(seconds=5)
    max_retry: timedelta = timedelta(hours=1)
    max_attempts: int = 12
    disable_after: int = 20
    lease: timedelta = timedelta(minutes=5)
    concurrency: int = 16
    batch: int = 500

    def retry_delay(self, attempts: int) -> timedelta:
        """The wait before the next attempt after ``attempts`` failed ones."""
        full = min(self.first_retry * 2 ** (attempts - 1), self.max_retry)
        return full * random.uniform(0.5, 1.0)


DEFAULT_POLICY = DeliveryPolicy()


@frozen
class Attempt:
    """What one POST came back with: a status, or the error that stopped it."""

    status: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def retryable(self) -> bool:
        return self.status is None or self.status >= 500 or self.status in (408, 429)


# --- Fan-out


def order_key(entity: str | None, entity_id: str | None, payload: Any, event_id: int) -> str:
    """The key whose deliveries are kept in order: the party an event is about, else its record."""
    if entity in PARTY_ENTITIES and entity_id is not None:
        return f"party:{entity_id}"
    party_id = payload.get("party_id") if isinstance(payload, dict) else None
    if isinstance(party_id, int) and not isinstance(party_id, bool):
        return f"party:{party_id}"
    if entity is not None and entity_id is not None:
        return f"{entity}:{entity_id}"[:210]
    return f"event:{event_id}"


def _horizon(conn: Connection) -> tuple[int, int] | None:
    """(oldest running, next unassigned) transaction ids; None where writers take turns (SQLite)."""
    if conn.dialect.name != "postgresql":
        return None
    row = conn.execute(
        text(
            "SELECT pg_snapshot_xmin(s)::text::bigint, pg_snapshot_xmax(s)::text::bigint"
            " FROM pg_current_snapshot() AS s"
        )
    ).one()
    return int(row[0]), int(row[1])


def _state(conn: Connection) -> Any:
    query = select(webhook_cursor).where(webhook_cursor.c.name == CURSOR)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        conn.execute(insert(webhook_cursor).values(name=CURSOR, last_event_id=0))
        row = conn.execute(query).one()
    return row


def _matches(subscription: Any, row: Any) -> bool:
    types = subscription.event_types
    return (
        row.id > subscription.after_event_id
        and (ALL_EVENTS in types or row.event_type in types)
        and (subscription.entity is None or subscription.entity == row.entity)
    )


def fan_out(engine: Engine, limit: int = 1000, most_deliveries: int = 20_000) -> int:
    """Write the deliveries of the next committed outbox events; return how many events were read.

    At most ``limit`` events are read, fewer when they would make more than about
    ``most_deliveries`` rows. Events are taken in id order and the cursor never passes a missing id while a
    transaction that may hold it is running (PostgreSQL hands out ids before commit);
    one given up at the end of all those transactions was rolled back.
    """
    with writing(engine) as conn:
        state = _state(conn)
        subscriptions = conn.execute(
            select(
                webhook_subscription.c.id,
                webhook_subscription.c.event_types,
                webhook_subscription.c.entity,
                webhook_subscription.c.after_event_id,
            ).where(webhook_subscription.c.active.is_(True))
        ).all()
        start = state.last_event_id
        if not subscriptions:
            newest = conn.execute(select(func.max(outbox.c.id))).scalar_one()
            if newest is not None and newest > start:
                _move(conn, newest, None)
            return 0
        start = max(start, min(s.after_event_id for s in subscriptions))
        limit = max(1, min(limit, most_deliveries // len(subscriptions)))
        rows = conn.execute(
            select(
                outbox.c.id,
                outbox.c.event_type,
                outbox.c.entity,
                outbox.c.entity_id,
                outbox.c.payload,
            )
            .where(outbox.c.id > start)
            .order_by(outbox.c.id)
            .limit(limit)
        ).all()
        taken, gap = _settled(conn, state, start, rows)
        deliveries = [
            {
                "subscription_id": s.id,
                "event_id": row.id,
                "order_key": order_key(row.entity, row.entity_id, row.payload, row.id),
                "status": "pending",
                "attempts": 0,
                "created_at": utcnow(),
            }
            for row in taken
            for s in subscriptions
            if _matches(s, row)
        ]
        if deliveries:
            conn.execute(insert(webhook_delivery), deliveries)
        if taken or gap is not None:
            _move(conn, taken[-1].id if taken else start, gap)
        return len(taken)


def _settled(
    conn: Connection, state: Any, start: int, rows: Sequence[Any]
) -> tuple[list[Any], dict[str, Any] | None]:
    """The rows before the first missing id that may still commit, and the gap to remember."""
    taken: list[Any] = []
    expected = start + 1
    for row in rows:
        if row.id != expected and not _gap_passed(conn, state, row.id):
            if state.gap_until is not None and row.id - 1 <= state.gap_until:
                return taken, None  # known, still waited for
            horizon = _horizon(conn)
            newest = rows[-1].id
            return taken, {
                "gap_until": newest,
                "gap_horizon": horizon[1] if horizon else 0,
                "gap_seen_at": utcnow(),
            }
        taken.append(row)
        expected = row.id + 1
    return taken, None


def _gap_passed(conn: Connection, state: Any, before: int) -> bool:
    """Whether the ids missing just below ``before`` will never be committed."""
    horizon = _horizon(conn)
    if horizon is None:
        return True
    if state.gap_until is None or before - 1 > state.gap_until:
        return False
    oldest_running = horizon[0]
    waited = utcnow() - state.gap_seen_at >= GAP_GRACE
    return bool(waited and oldest_running >= state.gap_horizon)


def _move(conn: Connection, last_event_id: int, gap: dict[str, Any] | None) -> None:
    values: dict[str, Any] = {"last_event_id": last_event_id}
    if gap is not None:
        values.update(gap)
    conn.execute(update(webhook_cursor).where(webhook_cursor.c.name == CURSOR).values(**values))


# --- Delivery


def _claim(engine: Engine, policy: DeliveryPolicy) -> tuple[list[Any], datetime]:
    """Lease the due deliveries that no earlier pending one about the same party holds up."""
    now = utcnow()
    lease_end = now + policy.lease
    earlier = webhook_delivery.alias("earlier")
    held_up = exists().where(
        earlier.c.subscription_id == webhook_delivery.c.subscription_id,
        earlier.c.order_key == webhook_delivery.c.order_key,
        earlier.c.id < webhook_delivery.c.id,
        earlier.c.status == "pending",
    )
    due = and_(
        webhook_delivery.c.status == "pending",
        or_(
            webhook_delivery.c.next_attempt_at.is_(None), webhook_delivery.c.next_attempt_at <= now
        ),
    )
    active = select(webhook_subscription.c.id).where(webhook_subscription.c.active.is_(True))
    chosen = (
        select(webhook_delivery.c.id)
        .where(due, ~held_up, webhook_delivery.c.subscription_id.in_(active))
        .order_by(webhook_delivery.c.id)
        .limit(policy.batch)
    )
    with writing(engine) as conn:
        rows = conn.execute(
            update(webhook_delivery)
            .where(webhook_delivery.c.id.in_(chosen.scalar_subquery()), due)
            .values(next_attempt_at=lease_end)
            .returning(
                webhook_delivery.c.id,
                webhook_delivery.c.subscription_id,
                webhook_delivery.c.event_id,
                webhook_delivery.c.attempts,
            )
        ).all()
    return sorted(rows, key=lambda r: r.id), lease_end


def event_body(event_type: str, created_at: datetime, data: dict[str, Any]) -> bytes:
    """A delivery's JSON body, in the Standard Webhooks shape (``type``, ``timestamp``, ``data``)."""
    document = {"type": event_type, "timestamp": created_at.isoformat(), "data": data}
    return json.dumps(document, separators=(",", ":"), default=str).encode()


def _bodies(conn: Connection, event_ids: Iterable[int]) -> dict[int, bytes]:
    rows = conn.execute(select(outbox).where(outbox.c.id.in_(sorted(set(event_ids))))).all()
    return {
        r.id: event_body(
            r.event_type,
            r.created_at,
            {
                "event_id": r.id,
                "entity": r.entity,
                "entity_id": r.entity_id,
                "actor_id": r.actor_id,
                "payload": r.payload,
            },
        )
        for r in rows
    }


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop when it is installed (with uvicorn[standard]), else asyncio's (None)."""
    try:
        import uvloop
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


class Sender:
    """POSTs signed requests, ``concurrency`` at a time, keeping connections between batches."""

    def __init__(self, policy: DeliveryPolicy = DEFAULT_POLICY) -> None:
        self.policy = policy
        self._runner = asyncio.Runner(loop_factory=event_loop_factory())
        self._session: aiohttp.ClientSession | None = None

    async def _open(self) -> aiohttp.ClientSession:
        # Imported where webhooks are sent: the web app and the CLI start without it.
        import aiohttp

        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.policy.concurrency),
                timeout=aiohttp.ClientTimeout(total=self.policy.timeout),
                headers={"user-agent": USER_AGENT},
            )
        return self._session

    async def _post(
        self, session: aiohttp.ClientSession, url: str, headers: dict[str, str], body: bytes
    ) -> Attempt:
        import aiohttp

        try:
            async with session.post(
                url, data=body, headers=headers, allow_redirects=False
            ) as response:
                answer = await response.read()
        except TimeoutError:
            return Attempt(None, f"no answer within {self.policy.timeout:g} s")
        except (aiohttp.ClientError, ValueError) as exc:
            return Attempt(None, f"{type(exc).__name__}: {exc}"[:1000])
        ok = 200 <= response.status < 300
        return Attempt(response.status, None if ok else answer[:1000].decode("utf-8", "replace"))

    async def _send(self, requests: Sequence[tuple[str, dict[str, str], bytes]]) -> list[Attempt]:
        session = await self._open()
        queue = iter(enumerate(requests))
        results: list[Attempt | None] = [None] * len(requests)

        async def worker() -> None:
            for index, (url, headers, body) in queue:
                results[index] = await self._post(session, url, headers, body)

        await asyncio.gather(
            *(worker() for _ in range(min(self.policy.concurrency, len(requests))))
        )
        return [r for r in results if r is not None]

    def send(self, requests: Sequence[tuple[str, dict[str, str], bytes]]) -> list[Attempt]:
        """POST every ``(url, headers, body)``; the attempts in the same order."""
        if not requests:
            return []
        return self._runner.run(self._send(requests))

    def close(self) -> None:
        if self._session is not None:
            self._runner.run(self._session.close())
            self._session = None
        self._runner.close()


def _outcome(row: Any, attempt: Attempt, policy: DeliveryPolicy, now: datetime) -> dict[str, Any]:
    attempts = row.attempts + 1
    values: dict[str, Any] = {
        "delivery_id": row.id,
        "attempts": attempts,
        "last_attempt_at": now,
        "response_status": attempt.status,
        "last_error": attempt.error,
        "delivered_at": now if attempt.ok else None,
        "next_attempt_at": None,
    }
    if attempt.ok:
        values["status"] = "succeeded"
    elif attempt.retryable and attempts < policy.max_attempts:
        values["status"] = "pending"
        values["next_attempt_at"] = now + policy.retry_delay(attempts)
    else:
        values["status"] = "failed"
    return values


_RECORD = update(webhook_delivery).where(
    webhook_delivery.c.id == bindparam("delivery_id"),
    webhook_delivery.c.next_attempt_at == bindparam("lease_end"),
)
"""Records one attempt if the lease is still ours; executed once for the whole batch."""


def deliver_due(app: Crm, sender: Sender, policy: DeliveryPolicy = DEFAULT_POLICY) -> int:
    """Send one batch of due deliveries; return how many were attempted."""
    claimed, lease_end = _claim(app.engine, policy)
    if not claimed:
        return 0
    with app.read() as conn:
        bodies = _bodies(conn, (r.event_id for r in claimed))
        targets = {
            s.id: (s.url, secret_key(s.secret))
            for s in conn.execute(
                select(
                    webhook_subscription.c.id,
                    webhook_subscription.c.url,
                    webhook_subscription.c.secret,
                ).where(webhook_subscription.c.id.in_({r.subscription_id for r in claimed}))
            )
        }
    stamp = int(time.time())
    requests = []
    for row in claimed:
        url, key = targets[row.subscription_id]
        body = bodies[row.event_id]
        headers = signed_headers(key, message_id(row.id), body, stamp)
        headers["content-type"] = "application/json"
        requests.append((url, headers, body))
    attempts = sender.send(requests)
    now = utcnow()
    outcomes = [_outcome(r, a, policy, now) for r, a in zip(claimed, attempts, strict=True)]
    with app.transaction() as tx:
        tx.conn.execute(
            _RECORD,
            [{**o, "lease_end": lease_end} for o in outcomes],
        )
        _count_failures(tx, claimed, attempts, policy)
    return len(claimed)


def _count_failures(
    tx: Any, claimed: Sequence[Any], attempts: Sequence[Attempt], policy: DeliveryPolicy
) -> None:
    """Keep each subscription's run of failed attempts; disable it when the run is long enough."""
    runs: dict[int, list[Attempt]] = defaultdict(list)
    for row, attempt in zip(claimed, attempts, strict=True):
        runs[row.subscription_id].append(attempt)
    column = webhook_subscription.c.consecutive_failures
    succeeded = [i for i, run in runs.items() if all(a.ok for a in run)]
    if succeeded:
        tx.conn.execute(
            update(webhook_subscription)
            .where(webhook_subscription.c.id.in_(succeeded), column != 0)
            .values(consecutive_failures=0)
        )
    for subscription_id, run in runs.items():
        if subscription_id in succeeded:
            continue
        last_ok = max((i for i, a in enumerate(run) if a.ok), default=None)
        trailing = len(run) if last_ok is None else len(run) - 1 - last_ok
        failures = tx.conn.execute(
            update(webhook_subscription)
            .where(webhook_subscription.c.id == subscription_id)
            .values(consecutive_failures=(column if last_ok is None else 0) + trailing)
            .returning(column, webhook_subscription.c.active)
        ).one()
        if failures.active and failures.consecutive_failures >= policy.disable_after:
            _disable(tx, subscription_id, failures.consecutive_failures, run[-1])


def _disable(tx: Any, subscription_id: int, failures: int, last: Attempt) -> None:
    why = last.error or f"HTTP {last.status}"
    reason = f"disabled after {failures} failed attempts in a row; last: {why}"[:4000]
    tx.conn.execute(
        update(webhook_subscription)
        .where(webhook_subscription.c.id == subscription_id)
        .values(active=False, disabled_reason=reason, updated_at=utcnow())
    )
    found = get_subscription(tx.conn, subscription_id)
    admins = tx.conn.execute(
        select(user.c.id).where(user.c.role == "admin", user.c.active.is_(True))
    ).scalars()
    for recipient in sorted({*admins, *([found.owner_id] if found.owner_id else [])}):
        notify(
            tx,
            recipient,
            f"Webhook {subscription_id} was disabled",
            body=f"{found.url}: {reason}. Enable it again once the receiver works.",
            link="/admin/webhooks",
            kind="warning",
            source="core.webhooks",
        )


def deliver_webhooks(
    app: Crm, policy: DeliveryPolicy = DEFAULT_POLICY, budget: timedelta = timedelta(seconds=30)
) -> int:
    """Fan out new events and send due deliveries until none is left or ``budget`` is spent."""
    ends = time.monotonic() + budget.total_seconds()
    sender = Sender(policy)
    sent = 0
    try:
        while time.monotonic() < ends:
            read = fan_out(app.engine)
            done = deliver_due(app, sender, policy)
            sent += done
            if not read and not done:
                break
    finally:
        sender.close()
    return sent


@frozen
class TestResult:
    """The answer to a test delivery: a status, or the error that stopped it."""

    message_id: str
    status: int | None
    error: str | None
    duration_ms: int


def send_test(
    app: Crm, subscription_id: int, timeout: float = DEFAULT_POLICY.timeout
) -> TestResult:
    """POST a signed ``webhook.test`` message to the subscription now; nothing is recorded."""
    with app.read() as conn:
        found = get_subscription(conn, subscription_id)
        key = secret_key(subscription_secret(conn, subscription_id))
    msg = f"msg_test_{uuid.uuid4().hex}"
    body = event_body("webhook.test", utcnow(), {"subscription_id": subscription_id})
    headers = signed_headers(key, msg, body, int(time.time()))
    headers["content-type"] = "application/json"
    sender = Sender(DeliveryPolicy(timeout=timeout, concurrency=1))
    started = time.perf_counter()
    try:
        (attempt,) = sender.send([(found.url, headers, body)])
    finally:
        sender.close()
    return TestResult(
        msg, attempt.status, attempt.error, int((time.perf_counter() - started) * 1000)
    )
