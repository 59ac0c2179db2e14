"""Privacy: export everything held on a party and erase it, across the kernel and every plugin."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Connection,
    ForeignKey,
    Integer,
    Table,
    delete,
    func,
    insert,
    select,
)

from crmkit import (
    NotFound,
    PluginError,
    Transaction,
    audit_history,
    hookimpl,
    metadata,
    record_audit,
)
from crmkit.app import Crm
from crmkit.core.interactions import build_interaction, log_interaction
from crmkit.core.parties import build_party, create_party
from crmkit.core.privacy import (
    erase_party,
    export_party,
    forget_audit_changes,
    forget_event_payloads,
)
from crmkit.core.tables import contact_point, external_id, interaction, outbox, party, utcnow
from crmkit.testing import register_plugin


@pytest.fixture
def points() -> Iterator[Table]:
    table = Table(
        "bonus_points",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("party_id", Integer, ForeignKey("core_party.id"), nullable=False),
        Column("points", Integer, nullable=False),
    )
    yield table
    metadata.remove(table)


class Bonus:
    """A plugin holding points per party; exports and erases them."""

    def __init__(self, table: Table, refuse_erasure: bool = False, section: str = "bonus") -> None:
        self.table, self.refuse_erasure, self.section = table, refuse_erasure, section

    @hookimpl
    def register_tables(self) -> list[Table]:
        return [self.table]

    @hookimpl
    def export_party(self, conn: Connection, party_id: int) -> dict[str, Any]:
        rows = conn.execute(select(self.table.c.points).where(self.table.c.party_id == party_id))
        return {self.section: {"points": [r.points for r in rows]}}

    @hookimpl
    def erase_party(self, tx: Transaction, party_id: int) -> None:
        if self.refuse_erasure:
            raise RuntimeError("points are under audit")
        tx.conn.execute(delete(self.table).where(self.table.c.party_id == party_id))


def customer_with_history(app: Crm, points: Table) -> int:
    with app.transaction() as tx:
        created = create_party(
            tx,
            build_party(
                "customer",
                {
                    "first_name": "Anna",
                    "last_name": "Berg",
                    "birth_date": "1990-12-31",
                    "emails": ["Anna@Example.com"],
                    "phones": ["030 1234567"],
                    "addresses": [{"street": "Hauptstraße", "city": "Berlin", "country": "DE"}],
                },
                region="DE",
            ),
        )
        assert created.id is not None
        log_interaction(
            tx,
            build_interaction(
                {
                    "party_id": created.id,
                    "channel": "phone",
                    "direction": "inbound",
                    "subject": "Hi",
                },
                source="service",
            ),
        )
        tx.conn.execute(
            insert(external_id).values(
                system="erp", external_id="4711", party_id=created.id, created_at=utcnow()
            )
        )
        tx.conn.execute(insert(points), [{"party_id": created.id, "points": p} for p in (10, 5)])
    return created.id


@pytest.fixture
def app(make_crm: Callable[..., Crm], points: Table) -> Crm:
    return make_crm(plugins=[register_plugin(Bonus(points), name="bonus")])


def test_hook_export_party(app: Crm, points: Table) -> None:
    party_id = customer_with_history(app, points)
    with app.engine.connect() as conn:
        document = export_party(conn, app.host, party_id)
    assert document["bonus"] == {"points": [10, 5]}
    assert document["party"]["display_name"] == "Anna Berg"
    assert document["party"]["birth_date"] == "1990-12-31"
    assert {(c["kind"], c["value"]) for c in document["contact_points"]} == {
        ("email", "Anna@Example.com"),
        ("phone", "+49301234567"),
        ("address", "Hauptstraße, Berlin, DE"),
    }
    assert [(i["source"], i["subject"]) for i in document["interactions"]] == [("service", "Hi")]
    assert [(e["system"], e["external_id"]) for e in document["external_ids"]] == [("erp", "4711")]
    json.dumps(document)  # the document is plain JSON, ready to hand over


def test_export_section_taken_twice_is_refused_naming_the_plugin(
    make_crm: Callable[..., Crm], points: Table
) -> None:
    app = make_crm(plugins=[register_plugin(Bonus(points, section="party"), name="bonus")])
    party_id = customer_with_history(app, points)
    with app.engine.connect() as conn, pytest.raises(PluginError) as caught:
        export_party(conn, app.host, party_id)
    assert caught.value.plugin == "bonus"
    assert "'party'" in caught.value.message


def count_of(app: Crm, table: Table, party_id: int) -> int:
    column = table.c.id if table is party else table.c.party_id
    with app.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(table).where(column == party_id)
            ).scalar_one()
        )


def test_hook_erase_party(app: Crm, points: Table) -> None:
    party_id = customer_with_history(app, points)
    with app.transaction() as tx:
        erase_party(tx, party_id)
    for table in (party, contact_point, interaction, external_id, points):
        assert count_of(app, table, party_id) == 0, table.name
    with app.engine.connect() as conn:
        events = conn.execute(
            select(outbox.c.event_type, outbox.c.payload).order_by(outbox.c.id)
        ).all()
    assert events[-1] == ("party.erased", {"id": party_id})
    # The name is gone from earlier events too.
    assert all("Berg" not in json.dumps(payload) for _, payload in events)


def test_refused_erasure_erases_nothing(make_crm: Callable[..., Crm], points: Table) -> None:
    app = make_crm(plugins=[register_plugin(Bonus(points, refuse_erasure=True), name="bonus")])
    party_id = customer_with_history(app, points)
    with pytest.raises(RuntimeError, match="under audit"), app.transaction() as tx:
        erase_party(tx, party_id)
    for table in (party, interaction, external_id, points):
        assert count_of(app, table, party_id) >= 1, table.name


def test_missing_party_cannot_be_exported_or_erased(app: Crm) -> None:
    with app.engine.connect() as conn, pytest.raises(NotFound):
        export_party(conn, app.host, 404)
    with pytest.raises(NotFound), app.transaction() as tx:
        erase_party(tx, 404)


def test_forget_event_payloads_keeps_only_the_ids_of_the_named_records(app: Crm) -> None:
    def event(entity: str, entity_id: int) -> dict[str, Any]:
        return {
            "event_type": f"{entity}.placed",
            "entity": entity,
            "entity_id": str(entity_id),
            "payload": {"customer": "Anna Berg"},
            "created_at": utcnow(),
            "attempts": 0,
        }

    with app.transaction() as tx:
        tx.conn.execute(
            insert(outbox), [event("shop.order", 1), event("shop.order", 2), event("shop.cart", 1)]
        )
        forget_event_payloads(tx, "shop.order", [1])
    with app.read() as conn:
        payloads = conn.execute(select(outbox.c.payload).order_by(outbox.c.id)).scalars().all()
    assert payloads == [{"id": 1}, {"customer": "Anna Berg"}, {"customer": "Anna Berg"}]


def test_forget_audit_changes_empties_only_the_named_records_entries(app: Crm) -> None:
    with app.transaction() as tx:
        for entity, entity_id in (("shop.order", 1), ("shop.order", 2), ("shop.cart", 1)):
            record_audit(tx, entity, entity_id, "created", {"buyer": [None, "Anna Berg"]})
        forget_audit_changes(tx, "shop.order", [1])
    with app.read() as conn:
        entries = [
            (entry.entity, entry.entity_id, entry.changes)
            for entity, entity_id in (("shop.order", 1), ("shop.order", 2), ("shop.cart", 1))
            for entry in audit_history(conn, entity, entity_id)
        ]
    assert entries == [
        ("shop.order", "1", {}),
        ("shop.order", "2", {"buyer": [None, "Anna Berg"]}),
        ("shop.cart", "1", {"buyer": [None, "Anna Berg"]}),
    ]
