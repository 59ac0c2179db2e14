"""The delivery jobs: hand queued messages over, at most once each, and record every outcome.

One loop serves every outbox (email to the SMTP relay, SMS to the HTTP gateway).
Steps of a sending batch (``sending_batch`` messages of a lease), each committed
before the next:

1. **lease**: a batch of due ``queued`` messages gets ``next_attempt_at`` moved to the
   lease's end; a worker that dies now leaves them ``queued``, due again after the lease;
2. **sending**: just before they are handed over, the sending batch moves to ``sending``
   (consent is checked in the same transaction: withdrawn means ``suppressed``);
3. **outcome**: once each was handed over (on ``smtp.connections`` connections to the
   relay at once), every outcome of the batch is
   committed together: ``sent``, ``queued`` again with a later ``next_attempt_at``
   (the other side cannot have it), ``failed`` (refused for good, or the last
   attempt), or ``unknown`` (the connection broke while the other side may have taken it).

A message left in ``sending`` longer than ``sending_timeout_seconds`` had its worker
die between step 2 and the end of step 3: the relay or gateway may have it or not.
It becomes ``unknown`` and is never sent again by itself (see the README). A crash
therefore makes at most one sending batch ``unknown``: ``sending_batch`` weighs that
against the two transactions each sending batch costs.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import ExitStack
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Protocol

from attrs import frozen
from sqlalchemy import and_, bindparam, select, update

from crmkit import Crm, Transaction, utcnow
from crmkit_channels import timeline
from crmkit_channels.gate import why_not_sent_each
from crmkit_channels.handover import Handover
from crmkit_channels.outbox import render_waiting
from crmkit_channels.outboxes import EMAIL, SMS, Outbox
from crmkit_channels.settings import ChannelsSettings


class Carrier(Protocol):
    """What takes a channel's messages over: the SMTP relay, the SMS gateway."""

    def hand_over(self, row: Any) -> Handover:
        """Hand one outbox row over; never raises for what the other side or the network does."""
        ...

    def close(self) -> None: ...


def _carrier(app: Crm, outbox: Outbox, settings: ChannelsSettings) -> Carrier:
    # smtplib and httpx load only where a delivery job runs.
    from crmkit_channels.transports import TRANSPORT, TransportCarrier

    if outbox is TRANSPORT:
        return TransportCarrier(app)
    if outbox is SMS:
        from crmkit_channels.gateway import Gateway

        return Gateway(settings)
    from crmkit_channels.smtp import Relay

    return Relay(settings.smtp, settings.from_address)


def retry_delay(settings: ChannelsSettings, attempts: int) -> timedelta:
    """The wait after ``attempts`` failed ones: doubling from the first, capped, jittered to 50-100 %."""
    full = min(settings.first_retry_seconds * 2 ** (attempts - 1), settings.max_retry_seconds)
    return timedelta(seconds=full * random.uniform(0.5, 1.0))


def _lease(app: Crm, outbox: Outbox, settings: ChannelsSettings) -> tuple[list[int], datetime]:
    table = outbox.table
    now = utcnow()
    lease_end = now + timedelta(seconds=settings.lease_seconds)
    due = and_(table.c.status == "queued", table.c.next_attempt_at <= now)
    # The most overdue first, in the order of the due index: ordered by id, every lease
    # would sort the whole queue (8 ms a lease with 100,000 queued).
    chosen = (
        select(table.c.id)
        .where(due)
        .order_by(table.c.next_attempt_at, table.c.id)
        .limit(settings.batch)
    )
    with app.transaction() as tx:
        ids = tx.conn.execute(
            update(table)
            .where(table.c.id.in_(chosen.scalar_subquery()), due)
            .values(next_attempt_at=lease_end)
            .returning(table.c.id)
        ).scalars()
        return sorted(ids), lease_end


@frozen
class _Statements:
    """An outbox's statements of each sending batch, built once: values are bound at execution."""

    leased: Any
    """The rows of ``ids`` still ``queued`` under the lease ending at ``lease_end``."""
    start: Any
    """Those of them moved to ``sending`` (at ``started``), with their ids returned."""
    finish: Any
    """``ids`` moved from ``was`` to ``to`` (``reason`` and ``at``), the moved rows returned."""
    finish_with_receipt: Any
    """As ``finish``, storing the carrier's ``receipt`` too (None: the outbox keeps none)."""


@cache
def _statements(outbox: Outbox) -> _Statements:
    table = outbox.table
    ids = table.c.id.in_(bindparam("ids", expanding=True))
    ours = and_(ids, table.c.status == "queued", table.c.next_attempt_at == bindparam("lease_end"))
    finish = (
        update(table)
        .where(ids, table.c.status == bindparam("was"))
        .values(
            status=bindparam("to"),
            last_error=bindparam("reason"),
            finished_at=bindparam("at"),
            next_attempt_at=None,
        )
        # The timeline reads none of the large columns: they are left where they are.
        .returning(*(c for c in table.c if c.name not in ("raw", "variables")))
    )
    receipt = outbox.receipt_column
    return _Statements(
        # The variables were rendered into the message when it was queued, or are read with
        # the few rows that wait for it (``render_waiting``).
        leased=select(*(c for c in table.c if c.name != "variables"))
        .where(ours)
        .order_by(table.c.id),
        start=update(table)
        .where(ours)
        .values(status="sending", sending_at=bindparam("started"), attempts=table.c.attempts + 1)
        .returning(table.c.id),
        finish=finish,
        finish_with_receipt=None
        if receipt is None
        else finish.values({receipt: bindparam("receipt")}),
    )


def _start(
    app: Crm, outbox: Outbox, settings: ChannelsSettings, ids: list[int], lease_end: datetime
) -> list[Any]:
    """The messages of ``ids`` still leased to us that consent allows, moved to ``sending`` together.

    One transaction for them all: the consent and suppression checks read the
    whole batch at once, and a message consent no longer allows becomes ``suppressed``.
    An email waiting to be rendered is rendered and stored so here (``failed`` if it
    does not render): a retry sends the same message.
    """
    statements = _statements(outbox)
    with app.transaction() as tx:
        rows = tx.conn.execute(statements.leased, {"ids": ids, "lease_end": lease_end}).all()
        allowed = []
        for row, reason in zip(rows, why_not_sent_each(tx.conn, outbox, rows), strict=True):
            if reason is None:
                allowed.append(row)
            else:
                finish(tx, outbox, row.id, "queued", "suppressed", reason)
        if not allowed:
            return []
        started = {"ids": [r.id for r in allowed], "lease_end": lease_end, "started": utcnow()}
        moved = set(tx.conn.execute(statements.start, started).scalars())
        ours = [r for r in allowed if r.id in moved]
        if outbox is EMAIL:
            # Rendered once they are ours (moved, and locked on PostgreSQL): a worker whose
            # lease ran out cannot write over the bytes another is handing over.
            ours, refused = render_waiting(tx, settings, ours)
            for row, reason in refused:
                finish(tx, outbox, row.id, "sending", "failed", reason)
        return ours


def finish(
    tx: Transaction,
    outbox: Outbox,
    message_id: int,
    was: str,
    status: str,
    reason: str | None,
    receipt: str | None = None,
) -> bool:
    """Move a message from status ``was`` to a final one and say so on the timeline; whether it moved."""
    return bool(finish_each(tx, outbox, [message_id], was, status, reason, receipt))


def finish_each(
    tx: Transaction,
    outbox: Outbox,
    message_ids: Collection[int],
    was: str,
    status: str,
    reason: str | None,
    receipt: str | None = None,
) -> list[int]:
    """:func:`finish` for each of ``message_ids``, in one statement; those that moved.

    A message no longer in ``was`` is left alone: another worker, or a status callback, got there first.
    """
    statements = _statements(outbox)
    values = {"ids": list(message_ids), "was": was, "to": status, "reason": reason, "at": utcnow()}
    statement = statements.finish
    if receipt is not None and statements.finish_with_receipt is not None:
        statement, values["receipt"] = statements.finish_with_receipt, receipt
    moved = tx.conn.execute(statement, values).all()
    timeline.record_each(tx, outbox, sorted(moved, key=lambda r: r.id), status, reason)
    return [row.id for row in moved]


def _record(
    app: Crm, outbox: Outbox, settings: ChannelsSettings, outcomes: list[tuple[Any, Handover]]
) -> None:
    """The outcomes of a sending batch, in one transaction; the plain ``sent`` ones in one statement."""
    table = outbox.table
    plainly_sent = {row.id for row, h in outcomes if h.verdict == "sent" and h.receipt is None}
    with app.transaction() as tx:
        if plainly_sent:
            finish_each(tx, outbox, plainly_sent, "sending", "sent", None)
        for row, handover in outcomes:
            attempts = row.attempts + 1
            if row.id in plainly_sent:
                continue
            if handover.verdict == "retry" and attempts < settings.max_attempts:
                tx.conn.execute(
                    update(table)
                    .where(table.c.id == row.id, table.c.status == "sending")
                    .values(
                        status="queued",
                        last_error=handover.detail,
                        next_attempt_at=handover.retry_at
                        or utcnow() + retry_delay(settings, attempts),
                    )
                )
                continue
            status = "failed" if handover.verdict == "retry" else handover.verdict
            detail = handover.detail
            if handover.verdict == "retry":
                detail = f"given up after {attempts} attempts; last: {detail}"
            finish(tx, outbox, row.id, "sending", status, detail, handover.receipt)


def give_up_on_abandoned(app: Crm, settings: ChannelsSettings, outbox: Outbox = EMAIL) -> int:
    """Mark ``unknown`` the messages left in ``sending`` by a worker that died; how many."""
    table = outbox.table
    cutoff = utcnow() - timedelta(seconds=settings.sending_timeout_seconds)
    with app.transaction() as tx:
        rows = tx.conn.execute(
            select(table.c.id, table.c.sending_at).where(
                table.c.status == "sending", table.c.sending_at < cutoff
            )
        ).all()
        for row in rows:
            reason = f"its worker stopped while handing it over ({row.sending_at.isoformat()})"
            finish(tx, outbox, row.id, "sending", "unknown", reason)
    return len(rows)


class Pace:
    """Keeps hand-overs at most ``per_second`` apart, however many connections make them."""

    def __init__(self, per_second: float, sleep: Callable[[float], Any] = time.sleep) -> None:
        self.interval = 1.0 / per_second
        self.sleep = sleep
        self.next_at = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            at = max(now, self.next_at)
            self.next_at = at + self.interval
        if at > now:
            self.sleep(at - now)


def _hand_over_each(
    carriers: Sequence[Carrier],
    rows: list[Any],
    pace: Pace,
    outcomes: list[tuple[Any, Handover]],
    pool: ThreadPoolExecutor | None,
) -> None:
    """Hand ``rows`` over, each by one of ``carriers`` (one connection each, all at once),
    adding each outcome to ``outcomes`` as it comes.

    Should a hand-over raise, no connection takes another row, and the exception is raised
    once the hand-overs under way have ended (another connection's is noted on it); so is
    one that interrupts this thread (Ctrl-C): the caller records every outcome there is.
    """
    waiting = iter(rows)
    taking = threading.Lock()
    stop = threading.Event()
    failures: list[BaseException] = []

    def lane(carrier: Carrier) -> None:
        try:
            while not stop.is_set():
                with taking:
                    row = next(waiting, None)
                if row is None:
                    return
                pace.wait()
                outcomes.append((row, carrier.hand_over(row)))
        except BaseException as exc:
            stop.set()
            failures.append(exc)

    if pool is None:
        lane(carriers[0])
    else:
        lanes: list[Future[None]] = []
        try:
            lanes.extend(pool.submit(lane, carrier) for carrier in carriers)
            wait(lanes)
        finally:
            stop.set()
            wait(lanes)
    if failures:
        for other in failures[1:]:
            failures[0].add_note(f"another connection failed too: {other!r}")
        raise failures[0]


def deliver_due(app: Crm, outbox: Outbox = EMAIL, budget: timedelta = timedelta(seconds=30)) -> int:
    """Hand over due messages of ``outbox`` until none is left or ``budget`` is spent; how many."""
    settings: ChannelsSettings = app.settings_of["channels"]
    give_up_on_abandoned(app, settings, outbox)
    ends = time.monotonic() + budget.total_seconds()
    connections = settings.smtp.connections if outbox is EMAIL else 1
    carriers = [_carrier(app, outbox, settings) for _ in range(connections)]
    pace = Pace(settings.rate_per_second)
    handed = 0
    with ExitStack() as stack:
        for carrier in carriers:
            stack.callback(carrier.close)
        pool = stack.enter_context(ThreadPoolExecutor(connections)) if connections > 1 else None
        while time.monotonic() < ends:
            ids, lease_end = _lease(app, outbox, settings)
            if not ids:
                break
            for first in range(0, len(ids), settings.sending_batch):
                rows = _start(
                    app, outbox, settings, ids[first : first + settings.sending_batch], lease_end
                )
                outcomes: list[tuple[Any, Handover]] = []
                try:
                    _hand_over_each(carriers, rows, pace, outcomes, pool)
                finally:
                    # Should a hand-over raise, those handed over are not left to become
                    # unknown: only the one it raised on, and those of the batch no
                    # connection took yet, stay ``sending``.
                    if outcomes:
                        _record(app, outbox, settings, outcomes)
                handed += len(outcomes)
    return handed
