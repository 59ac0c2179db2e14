"""External ids: links of other systems' records to parties, their history, merges and erasure."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from crmkit import (
    SYSTEM,
    Actor,
    Crm,
    NotFound,
    ValidationError,
    build_party,
    create_party,
    erase_party,
    export_party,
    external_id_history,
    external_ids_of,
    find_by_external_id,
    link_external_id,
    merge_parties,
    unlink_external_id,
)
from crmkit.core.tables import external_id, external_id_change

AGENT = Actor(user_id=None, username="helpdesk-sync", role="system")


def new_party(crm: Crm, last_name: str, email: str | None = None) -> int:
    data: dict[str, Any] = {"first_name": "Jo", "last_name": last_name}
    if email:
        data["emails"] = [email]
    with crm.transaction() as tx:
        party_id = create_party(tx, build_party("prospect", data, region="DE")).id
    assert party_id is not None
    return party_id


def link(crm: Crm, party_id: int, system: str, value: str, actor: Actor = SYSTEM) -> None:
    with crm.transaction(actor) as tx:
        link_external_id(tx, party_id, system, value)


def rows(crm: Crm, table: Any) -> int:
    with crm.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_linked_id_finds_its_party_and_is_listed_with_it(crm: Crm) -> None:
    anna = new_party(crm, "Berg")
    link(crm, anna, "helpdesk", "U-17")
    link(crm, anna, "erp", "K-4711")
    with crm.read() as conn:
        found = find_by_external_id(conn, "helpdesk", "U-17")
        assert found is not None and found.id == anna
        assert find_by_external_id(conn, "helpdesk", "u-17") is None, "ids are exact"
        assert find_by_external_id(conn, "erp", "U-17") is None, "ids are per system"
        listed = [(e.system, e.external_id, e.party_id) for e in external_ids_of(conn, anna)]
    assert listed == [("erp", "K-4711", anna), ("helpdesk", "U-17", anna)]


def test_linking_again_to_the_same_party_changes_nothing(crm: Crm) -> None:
    anna = new_party(crm, "Berg")
    link(crm, anna, "helpdesk", "U-17")
    with crm.read() as conn:
        [first] = external_ids_of(conn, anna)
    link(crm, anna, "helpdesk", "U-17")
    with crm.read() as conn:
        assert external_ids_of(conn, anna) == [first]
        assert external_id_history(conn, "helpdesk", "U-17") == []


def test_repointing_an_id_keeps_who_moved_it_when_from_where_to_where(crm: Crm) -> None:
    anna, ben = new_party(crm, "Berg"), new_party(crm, "Brandt")
    link(crm, anna, "helpdesk", "U-17")
    link(crm, ben, "helpdesk", "U-17", actor=AGENT)
    with crm.read() as conn:
        found = find_by_external_id(conn, "helpdesk", "U-17")
        assert found is not None and found.id == ben
        assert external_ids_of(conn, anna) == []
        [change] = external_id_history(conn, "helpdesk", "U-17")
    assert (change.from_party_id, change.to_party_id) == (anna, ben)
    assert (change.reason, change.changed_by) == ("relinked", "helpdesk-sync")
    assert change.changed_at is not None


def test_an_unlinked_id_finds_nobody_and_its_history_says_who_unlinked_it(crm: Crm) -> None:
    anna = new_party(crm, "Berg")
    link(crm, anna, "helpdesk", "U-17")
    with crm.transaction(AGENT) as tx:
        change = unlink_external_id(tx, "helpdesk", "U-17", party_id=anna)
    with crm.read() as conn:
        assert find_by_external_id(conn, "helpdesk", "U-17") is None
        assert external_ids_of(conn, anna) == []
        assert external_id_history(conn, "helpdesk", "U-17") == [change]
    assert (change.from_party_id, change.to_party_id) == (anna, None)
    assert (change.reason, change.changed_by) == ("unlinked", "helpdesk-sync")
    link(crm, anna, "helpdesk", "U-17")
    with crm.read() as conn:
        assert len(external_id_history(conn, "helpdesk", "U-17")) == 1, "a new link is no move"


def test_unlinking_an_id_not_linked_or_linked_elsewhere_is_not_found(crm: Crm) -> None:
    anna, ben = new_party(crm, "Berg"), new_party(crm, "Brandt")
    link(crm, ben, "helpdesk", "U-17")
    for key, owner in ((("helpdesk", "U-18"), None), (("helpdesk", "U-17"), anna)):
        with pytest.raises(NotFound), crm.transaction() as tx:
            unlink_external_id(tx, *key, party_id=owner)
    with crm.read() as conn:
        found = find_by_external_id(conn, "helpdesk", "U-17")
    assert found is not None and found.id == ben
    assert rows(crm, external_id_change) == 0


def test_erasure_forgets_that_the_party_had_an_id_it_lost(crm: Crm) -> None:
    anna = new_party(crm, "Berg")
    link(crm, anna, "helpdesk", "U-17")
    with crm.transaction() as tx:
        unlink_external_id(tx, "helpdesk", "U-17")
    with crm.read() as conn:
        exported = export_party(conn, crm.host, anna)["external_id_changes"]
    assert [(c["reason"], c["to_party_id"]) for c in exported] == [("unlinked", None)]
    with crm.transaction() as tx:
        erase_party(tx, anna)
    assert rows(crm, external_id_change) == 0


@pytest.mark.parametrize(
    ("system", "value", "field"),
    [
        ("Helpdesk", "U-17", "system"),
        ("", "U-17", "system"),
        ("h" * 101, "U-17", "system"),
        (17, "U-17", "system"),
        ("helpdesk", "", "external_id"),
        ("helpdesk", "   ", "external_id"),
        ("helpdesk", 17, "external_id"),
        ("helpdesk", "x" * 201, "external_id"),
        ("helpdesk", "U\x0017", "external_id"),
    ],
)
def test_a_bad_key_is_refused_naming_its_field_and_stores_nothing(
    crm: Crm, system: Any, value: Any, field: str
) -> None:
    anna = new_party(crm, "Berg")
    with pytest.raises(ValidationError) as raised:
        link(crm, anna, system, value)
    assert raised.value.field == field
    with crm.read() as conn, pytest.raises(ValidationError):
        find_by_external_id(conn, system, value)
    with pytest.raises(ValidationError) as raised, crm.transaction() as tx:
        unlink_external_id(tx, system, value)
    assert raised.value.field == field
    assert rows(crm, external_id) == 0


@pytest.mark.parametrize("system", ["9erp", "_x", ".x", "erp\n", "erp sap"])
def test_a_system_name_starts_with_a_letter_and_the_error_says_so(crm: Crm, system: str) -> None:
    anna = new_party(crm, "Berg")
    with pytest.raises(ValidationError) as raised:
        link(crm, anna, system, "U-17")
    assert raised.value.reason == (
        "expected a lower-case letter (a-z) followed by at most 99 lower-case letters,"
        " digits, '_', '.' or '-'"
    )
    assert rows(crm, external_id) == 0


def test_linking_to_a_party_that_does_not_exist_is_not_found(crm: Crm) -> None:
    with pytest.raises(NotFound):
        link(crm, 999_999, "helpdesk", "U-17")
    assert rows(crm, external_id) == 0


def test_a_link_made_in_a_transaction_that_fails_is_not_kept(crm: Crm) -> None:
    anna, ben = new_party(crm, "Berg"), new_party(crm, "Brandt")
    link(crm, anna, "helpdesk", "U-17")
    with pytest.raises(RuntimeError), crm.transaction() as tx:
        link_external_id(tx, ben, "helpdesk", "U-17")
        link_external_id(tx, ben, "helpdesk", "U-18")
        raise RuntimeError("the connector failed after linking")
    with crm.read() as conn:
        found = find_by_external_id(conn, "helpdesk", "U-17")
        assert found is not None and found.id == anna
        assert find_by_external_id(conn, "helpdesk", "U-18") is None
    assert rows(crm, external_id_change) == 0


def test_a_merge_carries_the_ids_to_the_survivor_and_says_so(crm: Crm) -> None:
    anna, duplicate = new_party(crm, "Berg"), new_party(crm, "Berg")
    link(crm, anna, "erp", "K-1")
    link(crm, duplicate, "helpdesk", "U-17")
    link(crm, duplicate, "shop", "C-9")
    with crm.transaction(AGENT) as tx:
        merge_parties(tx, anna, duplicate)
    with crm.read() as conn:
        ids = {(e.system, e.external_id) for e in external_ids_of(conn, anna)}
        [change] = external_id_history(conn, "shop", "C-9")
        found = find_by_external_id(conn, "helpdesk", "U-17")
    assert ids == {("erp", "K-1"), ("helpdesk", "U-17"), ("shop", "C-9")}
    assert found is not None and found.id == anna
    assert (change.from_party_id, change.to_party_id, change.reason) == (duplicate, anna, "merged")
    assert change.changed_by == "helpdesk-sync"


def test_export_shows_the_history_and_erasure_forgets_it(crm: Crm) -> None:
    anna, ben, carl = new_party(crm, "Berg"), new_party(crm, "Brandt"), new_party(crm, "Claus")
    link(crm, carl, "helpdesk", "U-17")
    link(crm, anna, "helpdesk", "U-17")  # carl -> anna
    link(crm, anna, "shop", "C-9")
    link(crm, ben, "shop", "C-9")  # anna -> ben: no longer anna's id
    link(crm, ben, "erp", "K-2")
    link(crm, carl, "erp", "K-2")  # ben -> carl: does not concern anna
    with crm.read() as conn:
        exported = export_party(conn, crm.host, anna)["external_id_changes"]
    assert [(c["system"], c["external_id"]) for c in exported] == [
        ("helpdesk", "U-17"),
        ("shop", "C-9"),
    ]
    with crm.transaction() as tx:
        erase_party(tx, anna)
    with crm.read() as conn:
        assert external_id_history(conn, "helpdesk", "U-17") == []
        assert external_id_history(conn, "shop", "C-9") == []
        assert len(external_id_history(conn, "erp", "K-2")) == 1
        assert find_by_external_id(conn, "helpdesk", "U-17") is None


def test_erasure_forgets_the_history_an_id_brought_from_a_merged_party(crm: Crm) -> None:
    anna, older, oldest = new_party(crm, "Berg"), new_party(crm, "Berg"), new_party(crm, "Berg")
    link(crm, oldest, "helpdesk", "U-17")
    with crm.transaction() as tx:
        merge_parties(tx, older, oldest)
        merge_parties(tx, anna, older)
    with crm.read() as conn:
        assert len(external_id_history(conn, "helpdesk", "U-17")) == 2
    with crm.transaction() as tx:
        erase_party(tx, anna)
    assert rows(crm, external_id_change) == 0
    assert rows(crm, external_id) == 0
