"""Processing stored changes: each handed to its field's handler, first tries in batches.

A handler's network part (its module's ``fetch``: Graph calls) runs before any transaction is
open, for a batch all the fetches first; the transaction then does database work only, so a
slow or hanging Graph never holds the database's write lock (SQLite) or a connection and row
locks (PostgreSQL). A fetch's error counts as the handler's would: it is recorded for the
change alone, in the transaction that would have run its handler.

A transaction takes the first tries of a claimed batch one after the other, each in a
savepoint, until it has run ``commit_seconds``, and commits them together: a change whose
handler fails rolls back alone (to its savepoint) and is recorded for a retry, which runs
alone, in a transaction of its own, as does each change of a batch whose commit failed.

A change is claimed with a lease (``lease_until``) and an attempt counted before its handler
runs, so that a crash loses nothing (the lease runs out and the change is taken again) and a
change that crashes the worker every time still ends ``failed``. The handler's writes and the
``processed`` mark commit together: a change is processed once.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

from attrs import frozen
from sqlalchemy import or_, select, update

from crmkit import ConflictError, Crm, NotFound, Transaction, utcnow
from crmkit_social.accounts.graph import GraphError
from crmkit_social.accounts.model import Account, account_by_page
from crmkit_social.webhooks.dispatch import fetcher_of, handler_for
from crmkit_social.webhooks.model import Change, PermanentFailure
from crmkit_social.webhooks.settings import WebhooksSettings
from crmkit_social.webhooks.tables import change_table

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(days=1)
MAX_RUN_BATCHES = 20
"""A run of the job takes at most this many batches; the next run takes the rest."""
RETRYABLE = ("failed", "refused", "ignored")


@frozen
class RunResult:
    processed: int = 0
    retried: int = 0
    failed: int = 0
    refused: int = 0


def settings_of(app: Crm) -> WebhooksSettings:
    settings: WebhooksSettings = app.settings_of["social"].webhooks
    return settings


def backoff(settings: WebhooksSettings, attempts: int, retry_after: float | None) -> timedelta:
    """The wait before try ``attempts + 1``: doubling from ``backoff_seconds``, at most a day,
    never shorter than what the remote side asked for."""
    seconds = settings.backoff_seconds * (2 ** max(attempts - 1, 0))
    if retry_after is not None:
        seconds = max(seconds, retry_after)
    return min(timedelta(seconds=seconds), MAX_BACKOFF)


def _claim(app: Crm, settings: WebhooksSettings, now: datetime) -> list[Any]:
    lease = now + timedelta(seconds=settings.lease_seconds)
    with app.transaction() as tx:
        ids = list(
            tx.conn.execute(
                select(change_table.c.id)
                .where(
                    change_table.c.state == "pending",
                    or_(change_table.c.next_try_at.is_(None), change_table.c.next_try_at <= now),
                    or_(change_table.c.lease_until.is_(None), change_table.c.lease_until < now),
                )
                .order_by(change_table.c.id)
                .limit(settings.batch_size)
                .with_for_update(skip_locked=True)
            ).scalars()
        )
        if not ids:
            return []
        tx.conn.execute(
            update(change_table)
            .where(change_table.c.id.in_(ids))
            .values(lease_until=lease, attempts=change_table.c.attempts + 1)
        )
        return list(
            tx.conn.execute(
                select(change_table).where(change_table.c.id.in_(ids)).order_by(change_table.c.id)
            )
        )


def change_of(row: Any) -> Change:
    return Change(row.object, row.page_id, row.field, dict(row.value), row.time, row.key)


def _ours(tx: Transaction, row: Any) -> bool:
    """Whether the change is still leased to this run (not taken over after a lease ran out)."""
    current = tx.conn.execute(
        select(change_table.c.lease_until, change_table.c.state)
        .where(change_table.c.id == row.id)
        .with_for_update()
    ).first()
    return (
        current is not None
        and current.state == "pending"
        and current.lease_until == row.lease_until
    )


def _finish(tx: Transaction, row: Any, **values: Any) -> None:
    tx.conn.execute(
        update(change_table)
        .where(change_table.c.id == row.id, change_table.c.lease_until == row.lease_until)
        .values(lease_until=None, **values)
    )


@frozen
class Fetched:
    """What a change's ``fetch`` answered, or the error it raised (outside any transaction)."""

    value: Any = None
    error: BaseException | None = None


def _fetch(app: Crm, row: Any) -> Fetched:
    """Run the ``fetch`` of the change's handler, if it has one, with no transaction open.

    Never raises: the error is kept and raised again where the handler would run, so that it
    is recorded exactly as the handler's own (retried, or failed at once)."""
    handler = handler_for(row.field)
    fetch = fetcher_of(handler) if handler is not None else None
    if fetch is None:
        return Fetched()
    try:
        with app.read() as conn:
            account = account_by_page(conn, row.page_id)
        if account is None or not account.active:
            return Fetched()  # refused in the transaction, nothing to fetch
        return Fetched(fetch(app, account, change_of(row)))
    except Exception as exc:  # recorded in the change's transaction
        return Fetched(error=exc)


def _run(tx: Transaction, row: Any, fetched: Fetched) -> str:
    """Hand the change and what was fetched for it to its field's handler in ``tx`` and mark
    it; answer its new state.

    Raises what the fetch or the handler raised (the caller rolls its writes back)."""
    if not _ours(tx, row):
        return "skipped"
    account: Account | None = account_by_page(tx.conn, row.page_id)
    if account is None or not account.active:
        reason = (
            f"unknown page {row.page_id}: no connected account"
            if account is None
            else f"page {row.page_id} is deactivated"
        )
        _finish(tx, row, state="refused", reason=reason, processed_at=utcnow())
        return "refused"
    handler = handler_for(row.field)
    if handler is None:
        _finish(
            tx,
            row,
            state="ignored",
            reason=f"no handler for the field {row.field!r}",
            processed_at=utcnow(),
        )
        return "ignored"
    if fetched.error is not None:
        raise fetched.error
    handler(tx, account, change_of(row), fetched.value)
    _finish(
        tx,
        row,
        state="processed",
        reason=None,
        last_error=None,
        next_try_at=None,
        processed_at=utcnow(),
        account_id=account.id,
    )
    return "processed"


def _settle_failure(
    tx: Transaction, settings: WebhooksSettings, row: Any, error: BaseException
) -> str:
    """Record in ``tx`` what the handler's error means: ``failed`` now, or a retry later."""
    if isinstance(error, PermanentFailure):
        _finish(
            tx,
            row,
            state="failed",
            reason=error.reason[:500],
            last_error=error.reason,
            next_try_at=None,
            processed_at=utcnow(),
        )
        return "failed"
    return _retry_later(tx, settings, row, error)


def _process_one(
    app: Crm, settings: WebhooksSettings, row: Any, fetched: Fetched | None = None
) -> str:
    """Fetch for the change (unless ``fetched`` already), then run its handler in a
    transaction of its own; answer its new state."""
    if fetched is None:
        fetched = _fetch(app, row)
    try:
        with app.transaction() as tx:
            return _run(tx, row, fetched)
    except Exception as exc:  # any error of a handler is recorded: retried, never lost
        with app.transaction() as tx:
            return _settle_failure(tx, settings, row, exc)


def _in_savepoint(tx: Transaction, settings: WebhooksSettings, row: Any, fetched: Fetched) -> str:
    """Run one change of a batch in a savepoint of ``tx``: a failing change rolls back alone
    (its events and after-commit calls dropped with it) and is recorded for a retry."""
    own = Transaction(conn=tx.conn, hooks=tx.hooks, actor=tx.actor, app=tx.app)
    try:
        with tx.conn.begin_nested():
            state = _run(own, row, fetched)
    except Exception as exc:
        return _settle_failure(tx, settings, row, exc)
    tx.events.extend(own.events)
    tx.after_commit.extend(own.after_commit)
    return state


def _process_batch(app: Crm, settings: WebhooksSettings, rows: list[Any]) -> list[str]:
    """Run first tries together: all their fetches first, with no transaction open; then one
    transaction takes the changes one after the other, each in a savepoint, until it has run
    ``commit_seconds``, and commits the writes and marks of them all at once. If that
    transaction fails as a whole, each of its changes runs again alone (not fetched again)."""
    fetched = {row.id: _fetch(app, row) for row in rows}
    states: list[str] = []
    waiting = list(rows)
    while waiting:
        began = time.monotonic()
        taken: list[Any] = []
        done: list[str] = []
        try:
            with app.transaction() as tx:
                while waiting and (not taken or time.monotonic() - began < settings.commit_seconds):
                    row = waiting.pop(0)
                    taken.append(row)
                    done.append(_in_savepoint(tx, settings, row, fetched[row.id]))
        except Exception:
            log.warning(
                "social: a batch of %d change(s) failed to commit: each runs alone",
                len(taken),
                exc_info=True,
            )
            done = [_process_one(app, settings, row, fetched[row.id]) for row in taken]
        states.extend(done)
    return states


def _describe(error: BaseException) -> str:
    if isinstance(error, GraphError):
        return str(error)
    return f"{type(error).__name__}: {error}"[:2000]


def _retry_later(
    tx: Transaction, settings: WebhooksSettings, row: Any, error: BaseException
) -> str:
    attempts = row.attempts  # counted when the change was claimed
    message = _describe(error)
    if not isinstance(error, GraphError | ConflictError):
        log.warning(
            "social: change %s (%s) failed, try %d: %s",
            row.id,
            row.field,
            attempts,
            message,
            exc_info=error,
        )
    retry_after = error.retry_after if isinstance(error, GraphError) else None
    transient = not isinstance(error, GraphError) or error.transient
    if not transient or attempts >= settings.max_attempts:
        reason = (
            f"gave up after {attempts} attempt(s): {message}"
            if transient
            else f"refused by Graph: {message}"
        )
        _finish(
            tx,
            row,
            state="failed",
            reason=reason[:500],
            last_error=message,
            next_try_at=None,
            processed_at=utcnow(),
        )
        return "failed"
    _finish(
        tx,
        row,
        last_error=message,
        next_try_at=utcnow() + backoff(settings, attempts, retry_after),
    )
    return "retried"


def process_pending(app: Crm) -> dict[str, int]:
    """The job ``social.process_changes``: hand due changes to their handlers. Idempotent."""
    settings = settings_of(app)
    counts = {"processed": 0, "retried": 0, "failed": 0, "refused": 0, "ignored": 0, "skipped": 0}
    for _ in range(MAX_RUN_BATCHES):
        rows = _claim(app, settings, utcnow())
        if not rows:
            break
        # A change tried before (it failed, or its worker died with its batch) runs alone:
        # a change that breaks its transaction never takes its batch down twice.
        first = [row for row in rows if row.attempts <= 1]
        again = [row for row in rows if row.attempts > 1]
        states = [_process_one(app, settings, row) for row in again]
        if settings.commit_seconds > 0:
            states += _process_batch(app, settings, first)
        else:
            states += [_process_one(app, settings, row) for row in first]
        for state in states:
            counts[state] += 1
        if len(rows) < settings.batch_size:
            break
    return counts


def retry_by_hand(tx: Transaction, change_id: int) -> None:
    """Put a failed, refused or ignored change back in the queue, its attempts reset."""
    row = tx.conn.execute(select(change_table).where(change_table.c.id == change_id)).first()
    if row is None:
        raise NotFound(f"change {change_id} does not exist")
    if row.state not in RETRYABLE:
        raise ConflictError(
            f"change {change_id} is {row.state}: only {', '.join(RETRYABLE)} ones are retried"
        )
    tx.conn.execute(
        update(change_table)
        .where(change_table.c.id == change_id)
        .values(
            state="pending",
            attempts=0,
            next_try_at=None,
            lease_until=None,
            processed_at=None,
            reason=f"retried by hand (was {row.state}: {row.reason or row.last_error or ''})"[:500],
        )
    )


def purge_done(app: Crm, keep_days: int) -> int:
    """Forget processed, ignored and refused changes older than ``keep_days`` (their payloads
    carry what people wrote); failed ones stay until retried."""
    cutoff = utcnow() - timedelta(days=keep_days)
    with app.transaction() as tx:
        result = tx.conn.execute(
            change_table.delete().where(
                change_table.c.state.in_(("processed", "ignored", "refused")),
                change_table.c.received_at < cutoff,
            )
        )
    return int(result.rowcount or 0)
