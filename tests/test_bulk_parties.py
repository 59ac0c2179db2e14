"""Creating parties in bulk (create_parties) and looking external ids up a batch at a time
(linked_parties), for connectors that bring in thousands of records."""

from __future__ import annotations

from typing import Any

import pytest

from crmkit import (
    Crm,
    ValidationError,
    build_party,
    create_parties,
    find_by_external_id,
    get_party,
    hookimpl,
    linked_parties,
    list_parties,
)
from crmkit.testing import register_plugin


def customer(last_name: str, **data: Any) -> Any:
    return build_party("customer", {"last_name": last_name, **data}, region="DE")


def test_parties_are_stored_with_contacts_and_external_ids(crm: Crm) -> None:
    made = [
        customer("Novak", emails=["jana@example.com"], phones=["030 1234567"]),
        customer("Keller"),
    ]
    with crm.transaction() as tx:
        stored = create_parties(tx, made, [("erp.test", "A-1"), None])
    ids = [p.id for p in stored if not isinstance(p, ValidationError)]
    assert len(ids) == 2
    with crm.engine.connect() as conn:
        first = find_by_external_id(conn, "erp.test", "A-1")
        assert first is not None and first.id == ids[0]
        assert [str(e) for e in first.emails] == ["jana@example.com"]
        assert first.phones[0].e164 == "+49301234567"
        assert get_party(conn, ids[1] or 0).last_name == "Keller"
        assert linked_parties(conn, "erp.test", ["A-1", "A-2"]) == {"A-1": first.id}
        listed = list_parties(conn, "customer")
    assert {p.id for p in listed.items} == set(ids)


def test_a_refused_party_is_reported_in_its_place_and_the_others_are_stored(
    make_crm: Any,
) -> None:
    class NoMallory:
        @hookimpl
        def entity_validate(self, tx: Any, entity_type: str, entity: Any, changes: Any) -> None:
            if entity.last_name == "Mallory":
                raise ValidationError("last_name", "not welcome")

    crm = make_crm(plugins=[register_plugin(NoMallory(), name="gate")])
    with crm.transaction() as tx:
        stored = create_parties(
            tx,
            [customer("Mallory"), customer("Alice")],
            [("erp.test", "M"), ("Not A System", "X")],
        )
    assert isinstance(stored[0], ValidationError) and stored[0].field == "last_name"
    assert isinstance(stored[1], ValidationError) and stored[1].field == "system"
    with crm.engine.connect() as conn:
        assert linked_parties(conn, "erp.test", ["M"]) == {}


def test_one_external_id_per_party_is_required(crm: Crm) -> None:
    with crm.transaction() as tx, pytest.raises(ValueError):
        create_parties(tx, [customer("Novak")], [])
