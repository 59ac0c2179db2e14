"""Attempt budgets: checking and counting are one step, for failed logins and lead-form posts alike."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

import pytest
from sqlalchemy import select

from crmkit.app import Crm
from crmkit.core import auth
from crmkit.core.attempts import Budget, Limit, take_attempt
from crmkit.core.auth import set_password
from crmkit.core.tables import login_failure, utcnow
from crmkit.core.users import build_user, create_user
from crmkit.core.web_leads import FORM_LIMIT, take_submission

T = TypeVar("T")
MINUTE = Limit(attempts=2, window=timedelta(minutes=1))


def at_once(count: int, work: Callable[[], T]) -> list[T]:
    """What ``work`` returned in each of ``count`` threads released at the same moment."""
    start = threading.Barrier(count)
    results: list[T] = []

    def run() -> None:
        start.wait()
        results.append(work())

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == count, "a thread failed"
    return results


def counted(crm: Crm, kind: str) -> list[str]:
    with crm.read() as conn:
        rows = conn.execute(select(login_failure.c.key).where(login_failure.c.kind == kind))
        return sorted(rows.scalars())


def test_a_used_up_budget_refuses_with_the_wait_and_counts_nothing(crm: Crm) -> None:
    start = utcnow()
    office = Budget("address", "10.0.0.1", MINUTE)
    ann = Budget("username", "ann", Limit(attempts=5, window=timedelta(minutes=1)))

    def attempt(at: timedelta) -> int | None:
        with crm.transaction() as tx:
            return take_attempt(tx, [office, ann], start + at)

    taken = [attempt(timedelta(seconds=s)) for s in (0, 10)]
    refused = attempt(timedelta(seconds=30))
    later = attempt(timedelta(seconds=61))

    assert taken == [None, None] and later is None
    assert refused == 31  # the first attempt leaves the window 30 s on, and a second more
    # The refused attempt counted against neither budget; the one before the window is gone.
    assert counted(crm, "address") == ["10.0.0.1"] * 2
    assert counted(crm, "username") == ["ann"] * 2


def test_of_two_attempts_in_flight_only_one_takes_the_last_place(crm: Crm) -> None:
    budget = [Budget("address", "10.0.0.1", Limit(attempts=1, window=timedelta(minutes=1)))]
    now = utcnow()
    first_counted = threading.Event()
    outcome: dict[str, int | None] = {}

    def second() -> None:
        assert first_counted.wait(10)
        with crm.transaction() as tx:
            outcome["second"] = take_attempt(tx, budget, now)

    thread = threading.Thread(target=second)
    thread.start()
    with crm.transaction() as tx:
        outcome["first"] = take_attempt(tx, budget, now)
        first_counted.set()
        # The second attempt checks while this one is counted but not committed: unless
        # something makes it wait for the commit, it sees a budget with a place left.
        time.sleep(0.5)
    thread.join(30)

    assert outcome["first"] is None
    assert outcome["second"] is not None
    assert counted(crm, "address") == ["10.0.0.1"]


def test_failed_logins_at_the_same_moment_cannot_try_more_passwords_than_the_limit(
    crm: Crm,
) -> None:
    with crm.transaction() as tx:
        ann = create_user(tx, build_user({"username": "ann", "role": "sales"}))
        assert ann.id is not None
        set_password(tx, ann.id, "correct horse battery")
    limit = auth.LoginLimit(per_username=2, per_address=100)

    # argon2 takes its time after the check: every attempt is in flight together.
    logins = at_once(
        5, lambda: auth.attempt_login(crm, "ann", "wrong password", "10.0.0.7", limit=limit)
    )

    assert sorted(login.retry_after is None for login in logins) == [False] * 3 + [True] * 2
    assert all(login.session is None for login in logins)
    assert counted(crm, "username") == ["ann"] * 2


def test_enquiries_at_the_same_moment_from_one_address_get_no_more_than_the_budget(
    crm: Crm,
) -> None:
    waits = at_once(FORM_LIMIT.attempts + 5, lambda: take_submission(crm, "203.0.113.9"))

    assert sum(wait is None for wait in waits) == FORM_LIMIT.attempts
    assert counted(crm, "lead-form") == ["203.0.113.9"] * FORM_LIMIT.attempts


def test_a_budget_kind_wider_than_its_column_is_refused_on_every_database() -> None:
    # SQLite would store it; PostgreSQL's varchar refuses it only at the first attempt.
    with pytest.raises(ValueError, match="kind"):
        Budget("a-long-kind-name", "key", FORM_LIMIT)
