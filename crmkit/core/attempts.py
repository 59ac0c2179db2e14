"""Attempt budgets: at most so many attempts per key within a window (logins, lead-form posts).

An attempt is a row of ``core_login_failure`` (named for the failed logins it was
first made for) with its kind (``username``, ``address``, ``addr-user``,
``lead-form``), its key and its time. :func:`take_attempt` checks the budgets and
counts the attempt in the caller's transaction, with the keys locked, so that
attempts made at the same moment cannot all pass a check that only one of them
should pass: on SQLite every writing transaction holds the write lock from its
start (``crmkit.core.db``), on PostgreSQL a transaction-scoped advisory lock per
key does the same for that key.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from datetime import datetime, timedelta

from attrs import field, frozen, validators
from sqlalchemy import and_, delete, func, insert, or_, select

from crmkit.core.db import Transaction
from crmkit.core.tables import login_failure

MAX_KEY_LENGTH = 200
"""The width of ``core_login_failure.key``; longer keys are cut (a client chose them)."""
MAX_KIND_LENGTH = 10
"""The width of ``core_login_failure.kind``, which SQLite would not enforce."""


@frozen
class Limit:
    """At most ``attempts`` attempts within ``window``."""

    attempts: int
    window: timedelta


def _cut(key: str) -> str:
    return key[:MAX_KEY_LENGTH]


def client_key(address: str) -> str:
    """The key a client address counts under: an IPv4 address, or an IPv6 address's /64.

    One IPv6 client is handed a whole /64 (RFC 6177), so counting its addresses one by
    one would give it billions of budgets; an IPv4 address written as IPv6
    (``::ffff:10.1.1.1``) is the IPv4 address. What is no address stays as it is.
    """
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


@frozen
class Budget:
    """What an attempt counts against: the attempts of ``key`` (of a ``kind``) under ``limit``."""

    kind: str = field(validator=validators.max_len(MAX_KIND_LENGTH))
    key: str = field(converter=_cut)
    limit: Limit


def _lock(tx: Transaction, budgets: Sequence[Budget]) -> None:
    tx.hold(*(f"attempts\0{b.kind}\0{b.key}" for b in budgets))


def _prune(tx: Transaction, budgets: Sequence[Budget], now: datetime) -> None:
    """Drop the attempts that no longer count: no job is needed to bound the table."""
    for kind, window in {(b.kind, b.limit.window) for b in budgets}:
        stale = (
            select(login_failure.c.id)
            .where(login_failure.c.kind == kind, login_failure.c.failed_at <= now - window)
            # Rows another attempt is deleting are left to it: waiting on them could deadlock.
            .with_for_update(skip_locked=True)
        )
        tx.conn.execute(delete(login_failure).where(login_failure.c.id.in_(stale)))


def _wait(tx: Transaction, budget: Budget, now: datetime) -> int | None:
    """Seconds until ``budget`` allows another attempt when it is used up, else None."""
    window = budget.limit.window
    count, oldest = tx.conn.execute(
        select(func.count(), func.min(login_failure.c.failed_at)).where(
            login_failure.c.kind == budget.kind,
            login_failure.c.key == budget.key,
            login_failure.c.failed_at > now - window,
        )
    ).one()
    if count < budget.limit.attempts:
        return None
    return max(1, int((oldest + window - now).total_seconds()) + 1)


def take_attempt(tx: Transaction, budgets: Sequence[Budget], now: datetime) -> int | None:
    """Count an attempt against every budget, or, when one is used up, the seconds to wait.

    A refused attempt counts against nothing. The check and the count are one step of
    ``tx``: of attempts made at the same moment, only as many pass as the budgets allow.
    """
    _lock(tx, budgets)
    _prune(tx, budgets, now)
    waits = [wait for wait in (_wait(tx, b, now) for b in budgets) if wait is not None]
    if waits:
        return max(waits)
    tx.conn.execute(
        insert(login_failure), [{"kind": b.kind, "key": b.key, "failed_at": now} for b in budgets]
    )
    return None


def forget_attempts(tx: Transaction, budgets: Sequence[Budget]) -> None:
    """Forget every attempt counted against ``budgets`` (a login that succeeded)."""
    condition = or_(
        *[and_(login_failure.c.kind == b.kind, login_failure.c.key == b.key) for b in budgets]
    )
    tx.conn.execute(delete(login_failure).where(condition))


def return_attempt(tx: Transaction, budget: Budget, now: datetime) -> None:
    """Give back one attempt counted against ``budget`` at ``now``: it was no failure after all."""
    one = (
        select(login_failure.c.id)
        .where(
            login_failure.c.kind == budget.kind,
            login_failure.c.key == budget.key,
            login_failure.c.failed_at == now,
        )
        .limit(1)
        .scalar_subquery()
    )
    tx.conn.execute(delete(login_failure).where(login_failure.c.id == one))
