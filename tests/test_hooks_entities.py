"""Lifecycle and entity hooks: start-up, shutdown, validating and reacting to writes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Column, Integer, String, Table, func, insert, select

from crmkit import Event, Transaction, User, ValidationError, hookimpl, metadata
from crmkit.app import Crm
from crmkit.core.interactions import build_interaction, log_interaction
from crmkit.core.parties import build_party, convert_prospect, create_party, update_party
from crmkit.core.tables import outbox, party
from crmkit.core.users import create_user
from crmkit.testing import register_plugin


def count(app: Crm, table: Table) -> int:
    with app.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


class Lifecycle:
    def __init__(self, calls: list[str], name: str, fail: str | None = None) -> None:
        self.calls, self.name, self.fail = calls, name, fail

    @hookimpl
    def startup(self, app: Crm) -> None:
        self.calls.append(f"startup {self.name}")
        if self.fail == "startup":
            raise RuntimeError(f"{self.name} cannot start")

    @hookimpl
    def shutdown(self, app: Crm) -> None:
        self.calls.append(f"shutdown {self.name}")
        if self.fail == "shutdown":
            raise RuntimeError(f"{self.name} cannot stop")


def test_hook_startup(make_crm: Callable[..., Crm]) -> None:
    calls: list[str] = []
    app = make_crm(plugins=[register_plugin(Lifecycle(calls, "cache"), name="cache")])
    assert calls == []
    app.start()
    app.start()
    assert calls == ["startup cache"]


def test_failing_startup_stops_start_up(make_crm: Callable[..., Crm]) -> None:
    calls: list[str] = []
    app = make_crm(
        plugins=[register_plugin(Lifecycle(calls, "cache", fail="startup"), name="cache")]
    )
    with pytest.raises(RuntimeError, match="cache cannot start"):
        app.start()
    app.close()
    assert calls == ["startup cache"]  # it never started, so it is not shut down


def test_hook_shutdown(make_crm: Callable[..., Crm], caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []
    app = make_crm(
        plugins=[
            register_plugin(Lifecycle(calls, "a", fail="shutdown"), name="a"),
            register_plugin(Lifecycle(calls, "b"), name="b", depends=["a"]),
        ]
    )
    app.start()
    calls.clear()
    with caplog.at_level(logging.ERROR):
        app.close()
    assert calls == ["shutdown b", "shutdown a"]
    assert "hook shutdown of plugin a failed" in caplog.text
    app.close()
    assert calls == ["shutdown b", "shutdown a"]


class Gatekeeper:
    """Refuses writes from the example.org domain; records what it was shown."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []

    @hookimpl
    def entity_validate(self, entity_type: str, entity: Any, changes: dict[str, Any]) -> None:
        self.seen.append((entity_type, changes))
        if entity_type in ("prospect", "customer") and any(
            e.normalised.endswith("@example.org") for e in entity.emails
        ):
            raise ValidationError("emails", "example.org addresses are test data")
        if entity_type == "interaction" and entity.channel == "fax":
            raise ValidationError("channel", "nobody faxes any more")
        if entity_type == "user" and entity.username == "root":
            raise ValidationError("username", "reserved")


@pytest.fixture
def gatekeeper() -> Gatekeeper:
    return Gatekeeper()


@pytest.fixture
def app(make_crm: Callable[..., Crm], gatekeeper: Gatekeeper) -> Crm:
    return make_crm(plugins=[register_plugin(gatekeeper, name="gate")])


def test_hook_entity_validate(app: Crm, gatekeeper: Gatekeeper) -> None:
    with pytest.raises(ValidationError) as caught, app.transaction() as tx:
        create_party(
            tx,
            build_party("prospect", {"last_name": "T", "emails": ["t@example.org"]}, region=None),
        )
    assert caught.value.field == "emails"
    assert count(app, party) == 0
    assert count(app, outbox) == 0

    with app.transaction() as tx:
        ok = create_party(tx, build_party("prospect", {"last_name": "Berg"}, region=None))
    assert ok.id is not None
    assert gatekeeper.seen[-1][0] == "prospect"
    assert gatekeeper.seen[-1][1]["display_name"] == "Berg"


def test_entity_validate_sees_only_the_changed_fields_on_update(
    app: Crm, gatekeeper: Gatekeeper
) -> None:
    with app.transaction() as tx:
        created = create_party(tx, build_party("prospect", {"last_name": "Berg"}, region=None))
    assert created.id is not None
    with app.transaction() as tx:
        update_party(tx, created.id, {"status": "working"}, 1, region=None)
    assert gatekeeper.seen[-1] == ("prospect", {"status": "working"})

    with pytest.raises(ValidationError), app.transaction() as tx:
        update_party(tx, created.id, {"emails": ["b@example.org"]}, 2, region=None)
    with app.engine.connect() as conn:
        assert conn.execute(select(party.c.version)).scalar() == 2


def test_entity_validate_guards_conversions_interactions_and_users(
    app: Crm, gatekeeper: Gatekeeper
) -> None:
    with app.transaction() as tx:
        prospect = create_party(tx, build_party("prospect", {"last_name": "Berg"}, region=None))
    assert prospect.id is not None
    with app.transaction() as tx:
        convert_prospect(tx, prospect.id)
    assert gatekeeper.seen[-1] == ("customer", {"role": "customer"})

    data = {"party_id": prospect.id, "channel": "fax", "direction": "outbound"}
    with pytest.raises(ValidationError, match="nobody faxes"), app.transaction() as tx:
        log_interaction(tx, build_interaction(data))
    with pytest.raises(ValidationError, match="reserved"), app.transaction() as tx:
        create_user(tx, User(username="root", display_name="Root"))
    assert [t for t, _ in gatekeeper.seen][-2:] == ["interaction", "user"]


@pytest.fixture
def audit_table() -> Iterator[Table]:
    table = Table(
        "audit_entry",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("entity_type", String(50), nullable=False),
        Column("entity_id", Integer, nullable=False),
        Column("change", String(20), nullable=False),
    )
    yield table
    metadata.remove(table)


class Audit:
    """Writes a derived row for every saved entity, in the writer's transaction."""

    def __init__(self, table: Table, fail_on: str | None = None) -> None:
        self.table, self.fail_on = table, fail_on

    @hookimpl
    def register_tables(self) -> list[Table]:
        return [self.table]

    @hookimpl
    def entity_saved(self, tx: Transaction, entity_type: str, entity: Any, change: str) -> None:
        tx.conn.execute(
            insert(self.table).values(entity_type=entity_type, entity_id=entity.id, change=change)
        )
        if entity_type == self.fail_on:
            raise RuntimeError("audit log full")


def test_hook_entity_saved(make_crm: Callable[..., Crm], audit_table: Table) -> None:
    app = make_crm(plugins=[register_plugin(Audit(audit_table), name="audit")])
    with app.transaction() as tx:
        created = create_party(tx, build_party("prospect", {"last_name": "Berg"}, region=None))
        assert created.id is not None
        update_party(tx, created.id, {"first_name": "Anna"}, 1, region=None)
        log_interaction(
            tx,
            build_interaction({"party_id": created.id, "channel": "email", "direction": "inbound"}),
        )
    with app.engine.connect() as conn:
        rows = conn.execute(select(audit_table).order_by(audit_table.c.id)).all()
    assert [(r.entity_type, r.entity_id, r.change) for r in rows] == [
        ("prospect", created.id, "created"),
        ("prospect", created.id, "updated"),
        ("interaction", 1, "created"),
    ]


def test_derived_rows_roll_back_with_the_transaction(
    make_crm: Callable[..., Crm], audit_table: Table
) -> None:
    app = make_crm(plugins=[register_plugin(Audit(audit_table), name="audit")])
    with pytest.raises(RuntimeError, match="later step"), app.transaction() as tx:
        create_party(tx, build_party("prospect", {"last_name": "Berg"}, region=None))
        raise RuntimeError("a later step of the command failed")
    assert (count(app, audit_table), count(app, party)) == (0, 0)


def test_failing_entity_saved_refuses_the_write(
    make_crm: Callable[..., Crm], audit_table: Table
) -> None:
    app = make_crm(plugins=[register_plugin(Audit(audit_table, fail_on="prospect"), name="audit")])
    with pytest.raises(RuntimeError, match="audit log full"), app.transaction() as tx:
        create_party(tx, build_party("prospect", {"last_name": "Berg"}, region=None))
    assert (count(app, audit_table), count(app, party), count(app, outbox)) == (0, 0, 0)


class Inbox:
    def __init__(self, fail: bool = False) -> None:
        self.events: list[Event] = []
        self.fail = fail

    @hookimpl
    def on_event(self, event: Event) -> None:
        self.events.append(event)
        if self.fail:
            raise RuntimeError("inbox full")


def test_hook_on_event(make_crm: Callable[..., Crm]) -> None:
    good, bad = Inbox(), Inbox(fail=True)
    app = make_crm(plugins=[register_plugin(good, name="good"), register_plugin(bad, name="bad")])
    with app.transaction() as tx:
        created = create_party(tx, build_party("prospect", {"last_name": "Berg"}, region=None))
    # Advisory: one subscriber failing neither stops the other nor fails the command.
    for inbox in (good, bad):
        (event,) = inbox.events
        assert (event.type, event.entity, event.entity_id) == (
            "prospect.created",
            "prospect",
            str(created.id),
        )
        assert event.payload == {"id": created.id, "name": "Berg"}
