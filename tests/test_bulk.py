"""Bulk writes: ids reserved up front, rows stored as an insert through SQLAlchemy stores them,
on both databases and on both sides of PostgreSQL's COPY threshold."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, delete, select
from sqlalchemy.exc import IntegrityError, StatementError

from crmkit import Crm, JSONType, allocate_ids, bulk_insert, utcnow
from crmkit.core.bulk import COPY_FROM_ROWS
from crmkit.core.parties import build_party, create_party
from crmkit.core.tables import external_id, party

SIZES = pytest.mark.parametrize("size", [3, COPY_FROM_ROWS + 50])


def _party(crm: Crm) -> int:
    with crm.transaction() as tx:
        created = create_party(tx, build_party("customer", {"last_name": "Ng"}, region="DE"))
    assert created.id is not None
    return created.id


def _links(party_id: int, size: int, created_at: datetime) -> list[dict[str, object]]:
    return [
        {"system": "erp", "external_id": f"C{n}", "party_id": party_id, "created_at": created_at}
        for n in range(size)
    ]


@SIZES
def test_rows_are_stored_as_an_insert_stores_them(crm: Crm, size: int) -> None:
    party_id, now = _party(crm), utcnow()
    with crm.transaction() as tx:
        bulk_insert(tx.conn, external_id, _links(party_id, size, now))
    with crm.read() as conn:
        stored = conn.execute(select(external_id.c.external_id, external_id.c.created_at)).all()
    assert sorted(r.external_id for r in stored) == sorted(f"C{n}" for n in range(size))
    assert {r.created_at for r in stored} == {now}


@SIZES
def test_a_broken_rule_is_sqlalchemys_error_and_stores_nothing(crm: Crm, size: int) -> None:
    party_id = _party(crm)
    rows = _links(party_id, size, utcnow())
    with pytest.raises(IntegrityError), crm.transaction() as tx:
        bulk_insert(tx.conn, external_id, [*rows, rows[0]])  # the first key twice
    with pytest.raises(StatementError, match="naive datetime"), crm.transaction() as tx:
        bulk_insert(tx.conn, external_id, _links(party_id, size, datetime(2026, 1, 1)))
    with crm.read() as conn:
        assert conn.execute(select(external_id.c.external_id)).first() is None


@SIZES
def test_none_is_json_null_unless_the_column_says_none_as_null(crm: Crm, size: int) -> None:
    from sqlalchemy import JSON
    from sqlalchemy.dialects.postgresql import JSONB

    table = Table(
        "test_bulk_json",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("data", JSONType),
        Column(
            "optional", JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
        ),
    )
    table.create(crm.engine)
    try:
        with crm.transaction() as tx:
            rows = [{"id": n, "data": None, "optional": None} for n in range(size)]
            bulk_insert(tx.conn, table, rows)
        with crm.read() as conn:
            nulls = conn.execute(
                select(table.c.data.is_(None), table.c.optional.is_(None)).distinct()
            ).all()
        assert nulls == [(False, True)]
    finally:
        table.drop(crm.engine)


def test_ids_are_never_those_of_deleted_rows(crm: Crm) -> None:
    first, second = _party(crm), _party(crm)
    with crm.transaction() as tx:
        tx.conn.execute(delete(party).where(party.c.id == second))
    with crm.transaction() as tx:
        reserved = allocate_ids(tx.conn, party, 3)
    assert reserved[0] > second > first
    assert reserved == list(range(reserved[0], reserved[0] + 3))
