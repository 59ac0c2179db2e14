"""``crmkit db reindex``: match keys and search terms rebuilt as live writes make them, in batches."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Table, delete, insert, select

from crmkit import ValidationError
from crmkit.app import Crm
from crmkit.core import migrate
from crmkit.core.intake.match_keys import match_key_rows
from crmkit.core.parties import (
    build_party,
    create_party,
    load_parties,
    merge_parties,
    update_party,
)
from crmkit.core.reindex import reindex
from crmkit.core.search import search_rows
from crmkit.core.tables import match_key, search_term
from crmkit.testing import invoke
from tests.test_search import store_before

Rows = dict[str, set[tuple[int, str]]]


def add(crm: Crm, role: str, **data: Any) -> int:
    with crm.transaction() as tx:
        entity = create_party(tx, build_party(role, data, region="DE"))
    assert entity.id is not None
    return entity.id


def indexes(crm: Crm) -> Rows:
    """Every row of both indexes, as ``(party id, key or term)``."""
    with crm.read() as conn:
        return {
            table.name: {(r[0], r[1]) for r in conn.execute(select(table.c.party_id, column))}
            for table, column in ((match_key, match_key.c.key), (search_term, search_term.c.term))
        }


def forget(crm: Crm, *tables: Table) -> None:
    with crm.transaction() as tx:
        for table in tables:
            tx.conn.execute(delete(table))


@pytest.fixture
def written(crm: Crm) -> Rows:
    """Parties written every way a party is written, and the index rows those writes left."""
    ann = add(
        crm,
        "prospect",
        first_name="Ann",
        last_name="Krüger",
        emails=["Ann.Krueger+news@example.org"],
        phones=["030 1234567"],
        addresses=[{"street": "Hauptstraße 12", "postcode": "10115", "city": "Berlin"}],
        birth_date="1980-05-17",
    )
    twin = add(crm, "prospect", first_name="Ann", last_name="Kruger", phones=["+49 30 1234567"])
    add(crm, "customer", kind="organisation", organisation_name="Müller & Söhne GmbH")
    add(crm, "prospect", last_name="Nobody")
    changed = add(crm, "customer", first_name="Bo", last_name="Lind", emails=["bo@lind.example"])
    with crm.transaction() as tx:
        update_party(
            tx, changed, {"last_name": "Lindqvist", "phones": ["+46 8 123 456 78"]}, 1, region="DE"
        )
        merge_parties(tx, ann, twin)
    for _ in range(4):
        add(crm, "prospect", first_name="Cara", last_name="Diaz", emails=["cara@diaz.example"])
    rows = indexes(crm)
    assert rows["core_match_key"] and rows["core_search_term"]
    return rows


def test_reindex_restores_exactly_what_writes_produce(crm: Crm, written: Rows) -> None:
    forget(crm, match_key, search_term)
    assert indexes(crm) == {"core_match_key": set(), "core_search_term": set()}

    assert reindex(crm.engine, batch_size=3) == 8

    assert indexes(crm) == written


def test_reindex_replaces_stale_rows_and_a_second_run_changes_nothing(
    crm: Crm, written: Rows
) -> None:
    party_id = min(pid for pid, _ in written["core_match_key"])
    with crm.transaction() as tx:
        tx.conn.execute(insert(match_key), [{"party_id": party_id, "key": "stale"}])
        tx.conn.execute(insert(search_term), [{"party_id": party_id, "term": "stale"}])
        tx.conn.execute(delete(search_term).where(search_term.c.term == "ann"))

    reindex(crm.engine)
    assert indexes(crm) == written
    reindex(crm.engine, batch_size=1)
    assert indexes(crm) == written


def test_reindex_reports_progress_batch_by_batch(crm: Crm, written: Rows) -> None:
    told: list[tuple[int, int]] = []

    reindex(crm.engine, batch_size=3, progress=lambda done, total: told.append((done, total)))

    assert told == [(0, 8), (3, 8), (6, 8), (8, 8)]


class Interrupted(Exception):
    pass


def test_an_interrupted_reindex_keeps_finished_batches_and_is_run_again(
    crm: Crm, written: Rows
) -> None:
    forget(crm, match_key, search_term)

    def stop(done: int, total: int) -> None:
        if done == 6:
            raise Interrupted

    with pytest.raises(Interrupted):
        reindex(crm.engine, batch_size=3, progress=stop)
    halfway = indexes(crm)
    first_six = sorted({pid for rows in written.values() for pid, _ in rows})[:6]
    for name, rows in written.items():
        assert halfway[name] == {row for row in rows if row[0] in first_six}

    reindex(crm.engine, batch_size=3)
    assert indexes(crm) == written


def test_reindex_of_an_empty_database(crm: Crm) -> None:
    told: list[tuple[int, int]] = []
    assert reindex(crm.engine, progress=lambda *counts: told.append(counts)) == 0
    assert told == [(0, 0)]


def test_reindex_refuses_an_empty_batch(crm: Crm) -> None:
    with pytest.raises(ValidationError) as raised:
        reindex(crm.engine, batch_size=0)
    assert raised.value.field == "batch_size"


def test_db_reindex_command_rebuilds_both_indexes(crm: Crm, written: Rows) -> None:
    forget(crm, match_key, search_term)

    result = invoke(crm, "db", "reindex", "--batch-size", "2")

    assert result.exit_code == 0, result.output
    assert result.stdout == "8 parties reindexed\n"
    assert indexes(crm) == written
    again = invoke(crm, "db", "reindex")
    assert again.exit_code == 0, again.output
    assert indexes(crm) == written


def test_db_reindex_command_rejects_a_batch_size_below_one(crm: Crm, written: Rows) -> None:
    forget(crm, match_key)

    result = invoke(crm, "db", "reindex", "--batch-size", "0")

    assert result.exit_code == 2
    assert "--batch-size" in result.output
    assert indexes(crm)["core_match_key"] == set()


def test_parties_stored_before_match_keys_existed_get_them(make_crm: Callable[..., Crm]) -> None:
    crm = make_crm([], create_tables=False)
    party_id = store_before(crm, "core_0002", "+442079460958")
    migrate.upgrade(crm)
    assert indexes(crm)["core_match_key"] == set()

    result = invoke(crm, "db", "reindex")

    assert result.exit_code == 0, result.output
    with crm.read() as conn:
        entity = load_parties(conn, [party_id])[party_id]
    assert indexes(crm) == {
        "core_match_key": {(party_id, row["key"]) for row in match_key_rows(party_id, entity)},
        "core_search_term": {(party_id, row["term"]) for row in search_rows(party_id, entity)},
    }
    assert indexes(crm)["core_match_key"]
