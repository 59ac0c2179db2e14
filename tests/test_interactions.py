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
from crmkit.core.interactions import build_interaction, log_interaction, timeline
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
