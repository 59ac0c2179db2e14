"""The outbox: events are written with the data they describe and delivered after commit, at least once."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from crmkit import Event, EventType, PluginError, ValidationError, hookimpl
from crmkit.app import Crm
from crmkit.core import events
from crmkit.core.db import transaction
from crmkit.core.parties import build_party, create_party, get_party
from crmkit.core.tables import outbox, utcnow
from crmkit.testing import http_client, register_plugin


class Subscriber:
    """Records the events it receives; fails while ``failing`` is set."""

    def __init__(self, failing: bool = False) -> None:
        self.failing = failing
        self.received: list[Event] = []

    @hookimpl
    def on_event(self, app: Crm, event: Event) -> None:
        self.received.append(event)
        if self.failing:
            raise RuntimeError("mail server down")


class Reader:
    """Reads the party an event is about, from a connection of its own."""

    def __init__(self) -> None:
        self.names: list[str] = []

    @hookimpl
    def on_event(self, app: Crm, event: Event) -> None:
        with app.engine.connect() as conn:
            self.names.append(get_party(conn, int(event.entity_id or 0)).display_name)


class AsyncSubscriber:
    def __init__(self) -> None:
        self.received: list[str] = []

    @hookimpl
    async def on_event(self, event: Event) -> None:
        await asyncio.sleep(0)
        self.received.append(event.type)


class Shop:
    @hookimpl
    def register_event_types(self) -> list[EventType]:
        return [EventType("shop.order_placed", "A customer placed an order")]


def create(tx: Any, name: str = "Berg") -> int:
    party = create_party(tx, build_party("prospect", {"last_name": name}, region="DE"))
    assert party.id is not None
    return party.id


def outbox_rows(app: Crm) -> list[Any]:
    with app.engine.connect() as conn:
        return list(conn.execute(select(outbox).order_by(outbox.c.id)))


def make_due(app: Crm) -> None:
    """Let time pass: every retry and lease is due now."""
    with app.engine.begin() as conn:
        conn.execute(
            update(outbox)
            .where(outbox.c.next_attempt_at.is_not(None))
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )


def test_event_is_delivered_after_commit_and_sees_the_committed_data(
    make_crm: Callable[..., Crm],
) -> None:
    reader = Reader()
    app = make_crm(plugins=[register_plugin(reader, name="reader")])
    with app.transaction() as tx:
        create(tx, "Berg")
        assert reader.names == []
    assert reader.names == ["Berg"]
    (row,) = outbox_rows(app)
    assert row.event_type == "prospect.created"
    assert row.delivered_at is not None and row.attempts == 1


def test_rolled_back_transaction_leaves_no_event_and_calls_no_subscriber(
    make_crm: Callable[..., Crm],
) -> None:
    subscriber = Subscriber()
    app = make_crm(plugins=[register_plugin(subscriber, name="audit")])
    with pytest.raises(RuntimeError), app.transaction() as tx:
        create(tx)
        raise RuntimeError("the command failed after writing")
    assert outbox_rows(app) == []
    assert subscriber.received == []


def test_failing_subscriber_is_retried_alone_later(make_crm: Callable[..., Crm]) -> None:
    good, flaky = Subscriber(), Subscriber(failing=True)
    app = make_crm(
        plugins=[register_plugin(good, name="good"), register_plugin(flaky, name="flaky")]
    )
    with app.transaction() as tx:
        create(tx)
    (row,) = outbox_rows(app)
    assert (len(good.received), len(flaky.received)) == (1, 1)
    assert row.delivered_at is None
    assert row.attempts == 1
    assert row.pending_subscribers == ["flaky"]
    assert "flaky" in row.last_error and "mail server down" in row.last_error
    assert row.next_attempt_at > utcnow()

    assert app.deliver_events() == 0  # not due yet: backing off
    make_due(app)
    app.deliver_events()
    assert (len(good.received), len(flaky.received)) == (1, 2)
    assert outbox_rows(app)[0].attempts == 2

    flaky.failing = False
    make_due(app)
    app.deliver_events()
    (row,) = outbox_rows(app)
    assert (len(good.received), len(flaky.received)) == (1, 3)
    assert row.delivered_at is not None and row.attempts == 3
    # The same event each time, so subscribers can use its id as an idempotency key.
    assert {e.id for e in flaky.received} == {good.received[0].id}


def test_event_whose_delivery_was_cut_short_is_delivered_by_the_outbox_job(
    make_crm: Callable[..., Crm],
) -> None:
    subscriber = Subscriber()
    app = make_crm(plugins=[register_plugin(subscriber, name="audit")])
    # A process that committed and died before delivering: the plain transaction does not deliver.
    with transaction(app.engine, app.host, app=app) as tx:
        create(tx)
    assert subscriber.received == []
    assert outbox_rows(app)[0].delivered_at is None

    assert app.jobs.run("core.deliver_outbox").ok
    assert [e.type for e in subscriber.received] == ["prospect.created"]
    assert outbox_rows(app)[0].delivered_at is not None
    app.jobs.run("core.deliver_outbox")
    assert len(subscriber.received) == 1


def test_event_claimed_by_a_dispatcher_that_died_is_delivered_once_its_lease_expires(
    make_crm: Callable[..., Crm],
) -> None:
    subscriber = Subscriber()
    app = make_crm(plugins=[register_plugin(subscriber, name="audit")])
    with transaction(app.engine, app.host, app=app) as tx:
        create(tx)
    with app.engine.begin() as conn:  # claimed, then the dispatcher crashed
        conn.execute(update(outbox).values(next_attempt_at=utcnow() + timedelta(minutes=2)))
    app.jobs.run("core.deliver_outbox")
    assert subscriber.received == []
    make_due(app)
    app.jobs.run("core.deliver_outbox")
    assert len(subscriber.received) == 1


def test_async_subscribers_are_awaited(make_crm: Callable[..., Crm]) -> None:
    subscriber = AsyncSubscriber()
    app = make_crm(plugins=[register_plugin(subscriber, name="async_audit")])
    with app.transaction() as tx:
        create(tx)
    assert subscriber.received == ["prospect.created"]
    assert outbox_rows(app)[0].delivered_at is not None


def test_emitting_an_unregistered_event_type_is_refused_and_rolls_back(crm: Crm) -> None:
    with pytest.raises(ValidationError) as caught, crm.transaction() as tx:
        create(tx)
        tx.emit("shop.order_placed", "order", 1, {})
    assert caught.value.field == "event_type"
    assert "shop.order_placed" in caught.value.message
    assert outbox_rows(crm) == []


def test_hook_register_event_types(make_crm: Callable[..., Crm]) -> None:
    subscriber = Subscriber()
    app = make_crm(
        plugins=[register_plugin(Shop(), name="shop"), register_plugin(subscriber, name="audit")]
    )
    assert "shop.order_placed" in app.event_types
    assert "prospect.created" in app.event_types
    with app.transaction() as tx:
        tx.emit("shop.order_placed", "shop.order", 7, {"total": "9.90"})
    (event,) = subscriber.received
    assert (event.type, event.entity, event.entity_id, event.payload) == (
        "shop.order_placed",
        "shop.order",
        "7",
        {"total": "9.90"},
    )


def test_event_types_must_carry_the_plugin_prefix(make_crm: Callable[..., Crm]) -> None:
    with pytest.raises(PluginError) as caught:
        make_crm(plugins=[register_plugin(Shop(), name="store")])
    assert caught.value.plugin == "store"
    assert "shop.order_placed" in caught.value.message


def test_events_are_delivered_in_the_order_they_were_written(make_crm: Callable[..., Crm]) -> None:
    subscriber = Subscriber()
    app = make_crm(plugins=[register_plugin(subscriber, name="audit")])
    with transaction(app.engine, app.host, app=app) as tx:
        for name in ("A", "B", "C"):
            create(tx, name)
    app.deliver_events()
    assert [e.payload["name"] for e in subscriber.received] == ["A", "B", "C"]


def test_delivery_that_cannot_run_after_commit_does_not_fail_the_command(
    make_crm: Callable[..., Crm], caplog: pytest.LogCaptureFixture
) -> None:
    subscriber = AsyncSubscriber()
    app = make_crm(plugins=[register_plugin(subscriber, name="async_audit")])

    async def handler() -> None:
        # Async subscribers cannot be awaited from synchronous code inside a running loop.
        with app.transaction() as tx:
            create(tx)

    asyncio.run(handler())
    assert "the outbox job will retry" in caplog.text
    assert subscriber.received == []
    make_due(app)
    app.jobs.run("core.deliver_outbox")
    assert subscriber.received == ["prospect.created"]


class Gate:
    """A subscriber that waits until it is let through, to show who waits for it."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.open = threading.Event()
        self.received: list[str] = []

    @hookimpl
    def on_event(self, event: Event) -> None:
        self.entered.set()
        assert self.open.wait(30), "the gate was never opened"
        self.received.append(event.type)


def test_while_the_dispatcher_runs_a_command_does_not_wait_for_subscribers(
    make_crm: Callable[..., Crm],
) -> None:
    gate = Gate()
    app = make_crm(plugins=[register_plugin(gate, name="gate")])
    app.dispatcher.start()
    with app.transaction() as tx:
        create(tx, "Berg")
    # The command returned while its subscriber is still held up.
    assert gate.entered.wait(30)
    assert gate.received == []
    gate.open.set()
    app.dispatcher.stop()
    assert gate.received == ["prospect.created"]
    (row,) = outbox_rows(app)
    assert row.delivered_at is not None and row.attempts == 1


def test_stopping_the_dispatcher_delivers_what_was_handed_over(
    make_crm: Callable[..., Crm],
) -> None:
    subscriber = Subscriber()
    app = make_crm(plugins=[register_plugin(subscriber, name="audit")])
    app.dispatcher.start()
    for name in ("A", "B", "C"):
        with app.transaction() as tx:
            create(tx, name)
    app.close()
    assert [e.payload["name"] for e in subscriber.received] == ["A", "B", "C"]
    assert all(row.delivered_at is not None for row in outbox_rows(app))
    # Stopped, it delivers after commit again.
    with app.transaction() as tx:
        create(tx, "D")
    assert [e.payload["name"] for e in subscriber.received][-1] == "D"


def test_served_app_delivers_events_in_the_background(make_crm: Callable[..., Crm]) -> None:
    subscriber = Subscriber()
    app = make_crm(plugins=[register_plugin(subscriber, name="audit")])
    with http_client(app):
        assert app.dispatcher.submit([])  # the lifespan started it
        with app.transaction() as tx:
            create(tx, "Berg")
    # Shutting the server down drains the dispatcher.
    assert [e.type for e in subscriber.received] == ["prospect.created"]
    assert not app.dispatcher.submit([])


class Slow:
    """Takes ``seconds`` over every event it receives, recording the ids it got."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.received: list[int] = []
        self.started = threading.Event()

    @hookimpl
    def on_event(self, event: Event) -> None:
        self.started.set()
        time.sleep(self.seconds)
        self.received.append(event.id)


def test_batch_that_outlives_its_lease_is_not_delivered_again_by_a_second_deliverer(
    make_crm: Callable[..., Crm], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events, "LEASE", timedelta(seconds=1))
    slow = Slow(0.2)
    app = make_crm(plugins=[register_plugin(slow, name="slow")])
    with transaction(app.engine, app.host, app=app) as tx:
        for name in "ABCDEFG":  # 1.4 s of work: longer than the lease
            create(tx, name)
    first = threading.Thread(target=app.deliver_events)
    first.start()
    assert slow.started.wait(30)
    while first.is_alive():  # the outbox job, or another process, keeps looking for due events
        app.deliver_events()
        time.sleep(0.05)
    first.join()

    rows = outbox_rows(app)
    assert sorted(slow.received) == [row.id for row in rows]
    assert all(row.delivered_at is not None and row.attempts == 1 for row in rows)


class Stuck:
    """Holds up its first deliveries until ``release`` is set; counts who arrived."""

    def __init__(self) -> None:
        self.arrived = threading.Semaphore(0)
        self.release = threading.Event()
        self.names: list[str] = []

    @hookimpl
    def on_event(self, event: Event) -> None:
        self.arrived.release()
        assert self.release.wait(30), "never released"
        self.names.append(event.payload["name"])


def test_deliverer_that_lost_its_lease_leaves_the_rest_of_its_batch_to_the_new_owner(
    make_crm: Callable[..., Crm], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events, "LEASE", timedelta(seconds=0.5))
    stuck = Stuck()
    app = make_crm(plugins=[register_plugin(stuck, name="stuck")])
    with transaction(app.engine, app.host, app=app) as tx:
        for name in "ABC":
            create(tx, name)
    first = threading.Thread(target=app.deliver_events)
    first.start()
    assert stuck.arrived.acquire(timeout=30)
    time.sleep(0.6)  # stuck on A past its lease, the first deliverer counts as dead
    taker = threading.Thread(target=app.deliver_events)
    taker.start()
    assert stuck.arrived.acquire(timeout=30)  # the taker claimed A, B and C and is at A
    stuck.release.set()
    taker.join(30)
    first.join(30)

    # A was in the hands of both; B and C only in the new owner's.
    assert sorted(stuck.names) == ["A", "A", "B", "C"]
    assert all(row.delivered_at is not None for row in outbox_rows(app))
