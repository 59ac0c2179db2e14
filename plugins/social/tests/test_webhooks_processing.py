"""Processing stored changes: each handed to its handler once, failures retried with
backoff and visible, ``failed`` after the configured attempts, retried by hand; a change
claimed by a worker that died is taken again once its lease runs out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from crmkit import Crm, Event, hookimpl, utcnow
from crmkit.testing import http_client, register_plugin

from .conftest import delivery, leadgen


@pytest.fixture
def crm(make_social: Any, social_settings: dict[str, Any]) -> Crm:
    settings = {
        **social_settings,
        "webhooks": {**social_settings["webhooks"], "max_attempts": 3, "backoff_seconds": 60},
    }
    return make_social(social=settings)


@pytest.fixture
def received(crm: Crm, page: Any, post_delivery: Any) -> Any:
    """A page connected and two leads delivered."""
    page(crm)
    with http_client(crm) as client:
        assert (
            post_delivery(client, delivery("1001", leadgen("1"), leadgen("2"))).status_code == 200
        )
    return crm


def rows(crm: Crm) -> list[Any]:
    from crmkit_social.webhooks.tables import change_table

    with crm.read() as conn:
        return list(conn.execute(select(change_table).order_by(change_table.c.id)))


def run(crm: Crm) -> Any:
    result = crm.jobs.run("social.process_changes")
    assert result.ok, result.error
    return result


def make_due(crm: Crm) -> None:
    from crmkit_social.webhooks.tables import change_table

    with crm.transaction() as tx:
        tx.conn.execute(update(change_table).values(next_try_at=utcnow() - timedelta(seconds=1)))


def test_each_change_reaches_its_handler_once_with_its_account(received: Crm, handled: Any) -> None:
    run(received)
    run(received)
    assert [(a.page_id, c.field, c.key, c.value["leadgen_id"]) for a, c in handled] == [
        ("1001", "leadgen", "leadgen:1", "1"),
        ("1001", "leadgen", "leadgen:2", "2"),
    ]
    assert [(r.state, r.attempts, r.last_error) for r in rows(received)] == [
        ("processed", 1, None),
        ("processed", 1, None),
    ]


def test_a_transient_graph_error_is_retried_with_backoff_then_failed_and_retried_by_hand(
    received: Crm, handled: Any, staff_admin: Any
) -> None:
    from crmkit_social.accounts.graph import GraphError

    handled.fail = GraphError(503, 2, "Service temporarily unavailable", True)
    before = utcnow()
    run(received)
    first = rows(received)[0]
    assert (first.state, first.attempts) == ("pending", 1)
    assert "Service temporarily unavailable" in first.last_error
    assert timedelta(seconds=59) < first.next_try_at - before < timedelta(seconds=75)

    run(received)  # not due yet: nothing tried
    assert rows(received)[0].attempts == 1

    make_due(received)
    run(received)
    second = rows(received)[0]
    assert (second.state, second.attempts) == ("pending", 2)
    assert timedelta(seconds=119) < second.next_try_at - utcnow() < timedelta(seconds=125)

    make_due(received)
    run(received)
    failed = rows(received)[0]
    assert (failed.state, failed.attempts) == ("failed", 3)
    assert failed.reason.startswith("gave up after 3 attempt(s)")
    assert handled == []

    handled.fail = None
    with staff_admin(received) as admin:
        assert admin.post(f"/p/social/webhooks/changes/{failed.id}/retry").status_code == 200
    run(received)
    assert [r.state for r in rows(received)] == ["processed", "failed"]
    assert [c.key for _, c in handled] == ["leadgen:1"]


def test_retry_after_from_graph_is_never_cut_short(received: Crm, handled: Any) -> None:
    from crmkit_social.accounts.graph import GraphError

    handled.fail = GraphError(429, 4, "Application request limit reached", True, retry_after=3600)
    run(received)
    row = rows(received)[0]
    assert row.next_try_at - utcnow() > timedelta(minutes=59)


def test_a_permanent_failure_or_a_refusal_by_graph_is_failed_at_once(
    received: Crm, handled: Any
) -> None:
    from crmkit_social.webhooks.model import PermanentFailure

    handled.fail = PermanentFailure("the lead form 9001 is not mapped")
    run(received)
    assert [(r.state, r.reason, r.attempts) for r in rows(received)] == [
        ("failed", "the lead form 9001 is not mapped", 1),
        ("failed", "the lead form 9001 is not mapped", 1),
    ]


def test_a_graph_refusal_that_no_retry_changes_is_failed_at_once(
    received: Crm, handled: Any
) -> None:
    from crmkit_social.accounts.graph import GraphError

    handled.fail = GraphError(400, 100, "GET /1: Unsupported get request", False)
    run(received)
    assert {(r.state, r.attempts) for r in rows(received)} == {("failed", 1)}
    assert rows(received)[0].reason.startswith("refused by Graph")


def test_an_unexpected_error_is_retried_and_its_writes_are_undone(
    received: Crm, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crmkit_social.accounts.tables import account_table
    from crmkit_social.webhooks import process

    def handler(tx: Any, account: Any, change: Any, fetched: Any) -> None:
        tx.conn.execute(update(account_table).values(name="changed by a failing handler"))
        raise KeyError("field_data")

    monkeypatch.setattr(process, "handler_for", lambda field: handler)
    run(received)
    assert {(r.state, r.attempts) for r in rows(received)} == {("pending", 1)}
    assert rows(received)[0].last_error == "KeyError: 'field_data'"
    with received.read() as conn:
        assert conn.execute(select(account_table.c.name)).scalar_one() == "Autohaus Nord"


def test_a_change_claimed_by_a_worker_that_died_is_taken_again_after_its_lease(
    received: Crm, handled: Any
) -> None:
    from crmkit_social.webhooks import process
    from crmkit_social.webhooks.tables import change_table

    claimed = process._claim(received, process.settings_of(received), utcnow())
    assert len(claimed) == 2  # ... and the worker dies here
    run(received)
    assert handled == []  # still leased
    with received.transaction() as tx:
        tx.conn.execute(update(change_table).values(lease_until=utcnow() - timedelta(seconds=1)))
    run(received)
    assert len(handled) == 2
    assert [(r.state, r.attempts) for r in rows(received)] == [("processed", 2), ("processed", 2)]


def test_a_change_finished_by_another_worker_is_not_handled_twice(
    received: Crm, handled: Any
) -> None:
    from crmkit_social.webhooks import process

    settings = process.settings_of(received)
    stale = process._claim(received, settings, utcnow())
    # The lease ran out and a second worker took and processed the changes.
    from crmkit_social.webhooks.tables import change_table

    with received.transaction() as tx:
        tx.conn.execute(update(change_table).values(lease_until=utcnow() - timedelta(seconds=1)))
    run(received)
    assert len(handled) == 2
    # The first worker wakes up: its claim is no longer its own.
    assert [process._process_one(received, settings, row) for row in stale] == [
        "skipped",
        "skipped",
    ]
    assert len(handled) == 2


def test_a_page_deactivated_after_its_changes_arrived_gets_them_refused(
    received: Crm, handled: Any
) -> None:
    from crmkit_social.accounts.service import set_active

    with received.transaction() as tx:
        set_active(tx, 1, False, None)
    run(received)
    assert {(r.state, r.reason) for r in rows(received)} == {
        ("refused", "page 1001 is deactivated")
    }
    assert handled == []


def test_old_done_changes_are_purged_failed_ones_kept(received: Crm, handled: Any) -> None:
    from crmkit_social.webhooks.tables import change_table

    run(received)
    with received.transaction() as tx:
        tx.conn.execute(
            update(change_table).where(change_table.c.key == "leadgen:2").values(state="failed")
        )
        tx.conn.execute(update(change_table).values(received_at=utcnow() - timedelta(days=31)))
    assert received.jobs.run("social.purge_changes").ok
    assert [r.key for r in rows(received)] == ["leadgen:2"]


def test_every_handler_named_in_dispatch_is_a_function_of_the_contracts_shape() -> None:
    import inspect

    from crmkit_social.webhooks.dispatch import HANDLERS, handler_for

    for field in HANDLERS:
        handler = handler_for(field)
        assert handler is not None and callable(handler), field
        assert list(inspect.signature(handler).parameters) == ["tx", "account", "change", "fetched"]
    assert handler_for("ratings") is None


def test_a_dead_token_met_inside_a_handler_is_retried_and_the_page_marked_dead(
    received: Crm, graph: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crmkit_social.accounts.graph import DEAD_MARKS, graph_client
    from crmkit_social.accounts.tables import account_table
    from crmkit_social.webhooks import process

    def handler(tx: Any, account: Any, change: Any, fetched: Any) -> None:
        graph_client(tx.app, account).get(change.value["leadgen_id"])

    monkeypatch.setattr(process, "handler_for", lambda field: handler)
    graph.respond("GET", "/1", 400, {"error": {"message": "Session has expired", "code": 190}})
    run(received)  # no waiting for a lock the handler's own transaction holds
    DEAD_MARKS.wait()
    first, second = rows(received)
    assert (first.state, first.attempts) == ("pending", 1)
    assert "Session has expired" in first.last_error
    assert first.next_try_at - utcnow() > timedelta(minutes=14)  # the dead token's wait
    assert "connect the page again" in second.last_error  # not sent: the page is known dead
    assert len(graph.requests) == 1
    with received.read() as conn:
        assert conn.execute(select(account_table.c.token_state)).scalar_one() == "dead"


class Listener:
    def __init__(self) -> None:
        self.leads: list[str] = []

    @hookimpl
    def on_event(self, app: Crm, event: Event) -> None:
        if event.type == "social.lead_taken":
            self.leads.append(str(event.entity_id))


def test_first_tries_share_a_transaction_and_a_failing_change_rolls_back_and_retries_alone(
    make_social: Any,
    social_settings: dict[str, Any],
    page: Any,
    post_delivery: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from crmkit_social.webhooks import process

    listener = Listener()
    crm = make_social(social=social_settings, plugins=(register_plugin(listener, name="listener"),))
    page(crm)
    with http_client(crm) as client:
        payload = delivery("1001", leadgen("1"), leadgen("2"), leadgen("3"))
        assert post_delivery(client, payload).status_code == 200
    seen: list[tuple[str, bool, int]] = []
    broken = {"2"}

    def handler(tx: Any, account: Any, change: Any, fetched: Any) -> None:
        lead = change.value["leadgen_id"]
        seen.append((lead, tx.conn.in_nested_transaction(), id(tx.conn)))
        tx.emit("social.lead_taken", "social.lead", lead, {"lead": lead})
        if lead in broken:
            raise KeyError("field_data")

    monkeypatch.setattr(process, "handler_for", lambda field: handler)
    run(crm)
    # One transaction, a savepoint each: the batch's changes ran on one connection.
    assert [(lead, nested) for lead, nested, _ in seen] == [("1", True), ("2", True), ("3", True)]
    assert len({conn for _, _, conn in seen}) == 1
    assert [(r.state, r.attempts) for r in rows(crm)] == [
        ("processed", 1),
        ("pending", 1),
        ("processed", 1),
    ]
    assert rows(crm)[1].last_error == "KeyError: 'field_data'"

    def taken() -> list[str]:
        return sorted(listener.leads)

    assert taken() == ["1", "3"]  # the failing change's event went with its savepoint
    # Its retry runs alone, in a transaction of its own, and succeeds.
    broken.clear()
    seen.clear()
    make_due(crm)
    run(crm)
    assert [(lead, nested) for lead, nested, _ in seen] == [("2", False)]
    assert [r.state for r in rows(crm)] == ["processed"] * 3
    assert taken() == ["1", "2", "3"]


def test_with_commit_seconds_zero_each_change_has_a_transaction_of_its_own(
    make_social: Any, social_settings: dict[str, Any], page: Any, post_delivery: Any, handled: Any
) -> None:
    settings = {**social_settings, "webhooks": {**social_settings["webhooks"], "commit_seconds": 0}}
    crm = make_social(social=settings)
    page(crm)
    with http_client(crm) as client:
        payload = delivery("1001", leadgen("1"), leadgen("2"))
        assert post_delivery(client, payload).status_code == 200
    run(crm)
    assert [r.state for r in rows(crm)] == ["processed", "processed"]
    assert len(handled) == 2
