"""Interactions and the timeline: every touchpoint of a party, from every plugin, newest first."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, event, func, select

from crmkit import CustomField, Interaction, NotFound, RecordRef, ValidationError, hookimpl
from crmkit.app import Crm
from crmkit.core.audit import history as audit_history
from crmkit.core.interactions import (
    build_interaction,
    log_interaction,
    log_interactions,
    timeline,
)
from crmkit.core.pagination import encode_cursor
from crmkit.core.parties import build_party, create_party
from crmkit.core.tables import interaction, outbox
from crmkit.testing import register_plugin

NOON = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def new_party(app: Crm, name: str = "Berg") -> int:
    with app.transaction() as tx:
        created = create_party(tx, build_party("prospect", {"last_name": name}, region="DE"))
    assert created.id is not None
    return created.id


def log(app: Crm, party_id: int, source: str = "core", **data: Any) -> Interaction:
    data = {"party_id": party_id, "channel": "email", "direction": "inbound", **data}
    with app.transaction() as tx:
        return log_interaction(tx, build_interaction(data, source=source))


@contextmanager
def counting_statements(conn: Connection) -> Iterator[list[str]]:
    """Record every SQL statement ``conn`` sends to the database while the block runs."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(conn, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(conn, "before_cursor_execute", record)


def test_interaction_is_stored_with_its_refs_and_emits_an_event(crm: Crm) -> None:
    party_id = new_party(crm)
    logged = log(
        crm,
        party_id,
        source="sfa",
        channel="meeting",
        direction="outbound",
        occurred_at="2024-05-01T10:00:00+02:00",
        subject="Visit",
        outcome="quotation requested",
        refs=[{"kind": "sfa.opportunity", "id": 42}],
    )
    with crm.engine.connect() as conn:
        (stored,) = timeline(conn, party_id).items
    assert stored.id == logged.id
    assert (stored.source, stored.channel, stored.direction) == ("sfa", "meeting", "outbound")
    assert stored.occurred_at == datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    assert stored.refs == (RecordRef("sfa.opportunity", "42"),)
    with crm.engine.connect() as conn:
        payload = conn.execute(
            select(outbox.c.payload).where(outbox.c.event_type == "interaction.logged")
        ).scalar_one()
    assert payload == {"id": logged.id, "party_id": party_id, "channel": "meeting", "source": "sfa"}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"channel": "E-Mail"}, "channel"),
        ({"direction": "sideways"}, "direction"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": "2024-05-01T10:00:00"}, "occurred_at"),
        ({"refs": [{"kind": "x"}]}, "refs[0]"),
        ({"subject": "s" * 501}, "subject"),
        ({"mood": "happy"}, "mood"),
        ({"custom": {"x": 1}}, "custom.x"),
    ],
)
def test_bad_interaction_names_the_field_and_stores_nothing(
    crm: Crm, data: dict[str, Any], field: str
) -> None:
    party_id = new_party(crm)
    with pytest.raises(ValidationError) as caught:
        log(crm, party_id, **data)
    assert caught.value.field == field
    with crm.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(interaction)).scalar() == 0


def test_interaction_on_a_missing_party_is_refused(crm: Crm) -> None:
    with pytest.raises(ValidationError) as caught:
        log(crm, 999)
    assert caught.value.field == "party_id"


def test_timeline_merges_every_source_newest_first(crm: Crm) -> None:
    party_id = new_party(crm)
    other = new_party(crm, "Lund")
    log(crm, party_id, source="sfa", occurred_at=NOON - timedelta(days=2))
    log(crm, party_id, source="service", occurred_at=NOON)
    log(crm, other, source="sfa", occurred_at=NOON + timedelta(days=1))
    log(crm, party_id, source="campaigns", occurred_at=NOON - timedelta(days=1))
    with crm.engine.connect() as conn:
        page = timeline(conn, party_id)
    assert [i.source for i in page.items] == ["service", "campaigns", "sfa"]
    assert page.next_cursor is None


def test_timeline_pages_are_complete_without_duplicates_when_times_tie(crm: Crm) -> None:
    party_id = new_party(crm)
    moments = [NOON, NOON, NOON - timedelta(hours=1), NOON, NOON - timedelta(hours=1), NOON]
    sources = ["sfa", "service", "campaigns", "surveys", "erp_sap", "core"]
    logged = [
        log(crm, party_id, source=s, occurred_at=m) for s, m in zip(sources, moments, strict=True)
    ]
    expected = [i.id for i in sorted(logged, key=lambda i: (i.occurred_at, i.id), reverse=True)]

    seen: list[int | None] = []
    cursor = None
    with crm.engine.connect() as conn:
        conn.begin()
        while True:
            with counting_statements(conn) as statements:
                page = timeline(conn, party_id, cursor=cursor, limit=2)
            assert len(statements) == 1, statements
            seen += [i.id for i in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
    # The first page ends inside the group of interactions at noon.
    assert seen == expected


def test_timeline_stays_stable_when_newer_interactions_arrive_between_pages(crm: Crm) -> None:
    party_id = new_party(crm)
    older = [log(crm, party_id, occurred_at=NOON - timedelta(minutes=m)).id for m in range(4)]
    with crm.engine.connect() as conn:
        first = timeline(conn, party_id, limit=2)
    log(crm, party_id, occurred_at=NOON + timedelta(hours=1))
    with crm.engine.connect() as conn:
        second = timeline(conn, party_id, cursor=first.next_cursor, limit=2)
    assert [i.id for i in [*first.items, *second.items]] == older


def test_timeline_of_a_missing_party_is_not_found(crm: Crm) -> None:
    with crm.engine.connect() as conn, pytest.raises(NotFound):
        timeline(conn, 404)


def test_timeline_of_a_party_without_interactions_is_empty(crm: Crm) -> None:
    party_id = new_party(crm)
    with crm.engine.connect() as conn:
        assert timeline(conn, party_id).items == []


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"limit": 501}, "limit"),
        ({"cursor": "%%"}, "cursor"),
        ({"cursor": encode_cursor(["2024-05-01T10:00:00+00:00", [1]])}, "cursor"),
        ({"cursor": encode_cursor([5, 1])}, "cursor"),
    ],
)
def test_bad_timeline_options_name_the_option(
    crm: Crm, options: dict[str, Any], field: str
) -> None:
    party_id = new_party(crm)
    with crm.read() as conn, pytest.raises(ValidationError) as caught:
        timeline(conn, party_id, **options)
    assert caught.value.field == field


class CallFields:
    @hookimpl
    def register_custom_fields(self) -> list[CustomField]:
        return [CustomField("interaction", "calls_minutes", "integer", required=True)]


def test_interaction_custom_fields_are_validated_and_stored(make_crm: Callable[..., Crm]) -> None:
    app = make_crm(plugins=[register_plugin(CallFields(), name="calls")])
    party_id = new_party(app)
    with pytest.raises(ValidationError) as caught:
        log(app, party_id, channel="phone")
    assert caught.value.field == "custom.calls_minutes"
    log(app, party_id, channel="phone", custom={"calls_minutes": "12"})
    with app.engine.connect() as conn:
        (stored,) = timeline(conn, party_id).items
    assert stored.custom == {"calls_minutes": 12}


class Watcher:
    """Records the interaction hooks it sees; refuses an interaction whose subject says so."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str | None, int | None]] = []

    @hookimpl
    def entity_validate(self, entity_type: str, entity: Any, changes: dict[str, Any]) -> None:
        if entity_type == "interaction":
            self.seen.append(("validate", entity.subject, entity.id))
            if entity.subject == "refused":
                raise ValidationError("subject", "refused by the watcher")

    @hookimpl
    def entity_saved(self, entity_type: str, entity: Any, change: str) -> None:
        if entity_type == "interaction":
            self.seen.append(("saved", entity.subject, entity.id))


def batch(party_ids: list[int], subjects: list[str]) -> list[Interaction]:
    return [
        build_interaction(
            {"party_id": p, "channel": "email", "direction": "outbound", "subject": s},
            source="channels",
        )
        for p, s in zip(party_ids, subjects, strict=True)
    ]


def test_a_batch_is_logged_in_order_with_every_hook_audit_entry_and_event(
    make_crm: Callable[..., Crm],
) -> None:
    watcher = Watcher()
    app = make_crm(plugins=[register_plugin(watcher, name="watcher")])
    first, second = new_party(app), new_party(app, "Lund")
    with app.transaction() as tx:
        logged = log_interactions(tx, batch([first, second, first], ["a", "b", "c"]))
    ids = [i.id for i in logged if i.id is not None]
    assert len(ids) == 3 and ids == sorted(ids)
    assert watcher.seen == [
        *(("validate", s, None) for s in "abc"),
        *(("saved", s, i) for s, i in zip("abc", ids, strict=True)),
    ]
    with app.engine.connect() as conn:
        assert [i.subject for i in timeline(conn, first).items] == ["c", "a"]
        events = conn.execute(
            select(outbox.c.payload)
            .where(outbox.c.event_type == "interaction.logged")
            .order_by(outbox.c.id)
        ).scalars()
        assert [e["id"] for e in events] == ids
        for interaction_id, subject in zip(ids, "abc", strict=True):
            [entry] = audit_history(conn, "interaction", interaction_id)
            assert entry.action == "created"
            assert entry.changes["subject"] == [None, subject]


def test_a_batch_is_written_in_bulk(crm: Crm) -> None:
    party_id = new_party(crm)
    for size in (2, 12):
        with crm.transaction() as tx, counting_statements(tx.conn) as statements:
            log_interactions(
                tx,
                [
                    build_interaction({"party_id": party_id, "channel": "note", "direction": d})
                    for d in ["internal"] * size
                ],
            )
        kinds = [" ".join(s.split()[:3]) for s in statements]
        assert kinds.count("SELECT core_party.id FROM") == 1
        assert kinds.count("INSERT INTO core_audit") == 1
        if crm.engine.dialect.name == "postgresql":
            # SQLite cannot promise RETURNING's order, so SQLAlchemy inserts a row at a time there.
            assert kinds.count("INSERT INTO core_interaction") == 1
            assert kinds.count("INSERT INTO core_outbox") == 1


@pytest.mark.parametrize("refused", ["unknown party", "entity_validate"])
def test_a_batch_with_one_refused_stores_none_of_it(
    make_crm: Callable[..., Crm], refused: str
) -> None:
    app = make_crm(plugins=[register_plugin(Watcher(), name="watcher")])
    party_id = new_party(app)
    parties = [party_id, 999 if refused == "unknown party" else party_id, party_id]
    subjects = ["a", "refused" if refused == "entity_validate" else "b", "c"]
    with pytest.raises(ValidationError) as caught, app.transaction() as tx:
        log_interactions(tx, batch(parties, subjects))
    assert caught.value.field == ("party_id" if refused == "unknown party" else "subject")
    with app.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(interaction)).scalar() == 0
        logged = outbox.c.event_type == "interaction.logged"
        assert conn.execute(select(func.count()).where(logged)).scalar() == 0
