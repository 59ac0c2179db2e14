"""Look-ups compiled once (:class:`crmkit.core.prepared.Prepared`) answer as SQLAlchemy does."""

from __future__ import annotations

import gc
import weakref
from datetime import date

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, bindparam, event, select
from sqlalchemy.exc import DBAPIError, StatementError

from crmkit.app import Crm
from crmkit.core.db import make_engine
from crmkit.core.parties import build_party, create_party, party_rows
from crmkit.core.prepared import Prepared
from crmkit.core.tables import party

_PARTY_IDS = Prepared(select(party.c.id).where(party.c.id == bindparam("party_id")))
"""Kept for the life of the process, as the kernel keeps its statements."""

ANNA = {
    "first_name": "Anna",
    "last_name": "Schmidt",
    "birth_date": "1984-03-02",
    "emails": ["anna.schmidt@example.com"],
    "phones": ["+49 30 1234567"],
    "addresses": [
        {"street": "Hauptstraße", "street_number": "5", "city": "Berlin", "country": "DE"}
    ],
}


def stored(crm: Crm, role: str = "customer") -> int:
    with crm.transaction() as tx:
        found = create_party(tx, build_party(role, dict(ANNA), region="DE"))
    assert found.id is not None
    return found.id


def test_rows_are_those_sqlalchemy_gives_with_every_type_converted(crm: Crm):
    anna = stored(crm)
    by_id = party_rows(party.c.id == bindparam("party_id"))
    prepared = Prepared(by_id)
    through_sqlalchemy: list[str] = []
    with crm.read() as conn, conn.begin():
        expected = conn.execute(by_id, {"party_id": anna}).one()
        event.listen(conn, "before_cursor_execute", lambda *a: through_sqlalchemy.append(a[2]))
        row = prepared.first(conn, {"party_id": anna})
        missing = prepared.first(conn, {"party_id": anna + 1000})

    assert row._fields == tuple(expected._fields)
    assert tuple(row) == tuple(expected)
    assert row.birth_date == date(1984, 3, 2)
    assert row.created_at.tzinfo is not None
    assert missing is None
    # On SQLite it runs on the driver, without SQLAlchemy's execution machinery.
    assert len(through_sqlalchemy) == (0 if crm.engine.dialect.name == "sqlite" else 2)


def test_values_the_statement_carries_are_bound_as_given(crm: Crm):
    customer, prospect = stored(crm), stored(crm, "prospect")
    prepared = Prepared(party_rows(party.c.id == bindparam("party_id"), party.c.role == "customer"))
    with crm.read() as conn, conn.begin():
        assert prepared.first(conn, {"party_id": customer}).id == customer
        assert prepared.first(conn, {"party_id": prospect}) is None


def test_expanding_parameters_and_reads_outside_a_transaction_go_through_sqlalchemy(crm: Crm):
    anna = stored(crm)
    among = Prepared(select(party.c.id).where(party.c.id.in_(bindparam("ids", expanding=True))))
    by_id = Prepared(select(party.c.id).where(party.c.id == bindparam("party_id")))
    with crm.read() as conn:
        assert by_id.first(conn, {"party_id": anna}).id == anna
        conn.rollback()  # SQLAlchemy began one for it
        with conn.begin():
            assert among.first(conn, {"ids": [anna, anna + 1]}).id == anna


def test_a_failure_of_the_driver_is_reported_as_sqlalchemy_reports_it(crm: Crm):
    nowhere = Table("core_nowhere", MetaData(), Column("id", Integer, primary_key=True))
    prepared = Prepared(select(nowhere.c.id).where(nowhere.c.id == bindparam("id")))
    with crm.read() as conn, conn.begin(), pytest.raises(DBAPIError, match="core_nowhere"):
        prepared.first(conn, {"id": 1})


def test_a_parameter_not_given_is_refused_as_sqlalchemy_refuses_it(crm: Crm):
    prepared = Prepared(select(party.c.id).where(party.c.id == bindparam("party_id")))
    refused = pytest.raises(StatementError, match="A value is required for bind parameter")
    with crm.read() as conn, conn.begin(), refused:
        prepared.first(conn, {})


def test_an_engine_let_go_is_not_kept_alive_by_what_was_compiled_for_it(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'crm.db'}")
    with engine.connect() as conn, conn.begin():
        conn.exec_driver_sql("CREATE TABLE core_party (id INTEGER PRIMARY KEY)")
        assert _PARTY_IDS.first(conn, {"party_id": 1}) is None
    dialect = weakref.ref(engine.dialect)
    engine.dispose()
    del engine, conn
    gc.collect()
    assert dialect() is None
