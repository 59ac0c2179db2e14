"""Look-ups by key compiled once and, on SQLite, run straight on the driver.

SQLAlchemy's execution of a statement it has compiled before (an execution context, a
result and its metadata, a row) costs about 20 µs; SQLite itself finds a party by its
key, contact points and all, in 7. A request that reads one record pays that toll on
every read. :class:`Prepared` keeps, per SQLite dialect, the statement's SQL, the order
and processors of its parameters and the processors of its columns, all taken from
SQLAlchemy's compilation and types, and runs it on the connection's own driver cursor
inside the transaction SQLAlchemy began. Elsewhere (PostgreSQL, where a read is a round
trip anyway) and for what it cannot run that way (expanding parameters, a schema
translated by execution options) it is an ordinary ``conn.execute``.
"""

from __future__ import annotations

import sqlite3
import weakref
from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, Select
from sqlalchemy.engine import Dialect

Processor = Callable[[Any], Any] | None


@frozen
class _Compiled:
    sql: str
    names: tuple[str, ...]
    """The parameters in the order of the SQL's placeholders."""
    given: Mapping[str, Any]
    """The values the statement carries itself (a user id in a visibility condition)."""
    binds: tuple[Processor, ...]
    row: Callable[[Iterable[Any]], Any]
    """A named tuple of the processed values, with the attributes of SQLAlchemy's rows."""
    results: tuple[Processor, ...]

    def parameters(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        values = [params[n] if n in params else self.given[n] for n in self.names]
        return tuple(v if p is None else p(v) for p, v in zip(self.binds, values, strict=True))

    def make_row(self, raw: tuple[Any, ...]) -> Any:
        return self.row(v if p is None else p(v) for p, v in zip(self.results, raw, strict=True))


def _compile(statement: Select[Any], dialect: Dialect) -> _Compiled | None:
    compiled = statement.compile(dialect=dialect)
    binds = compiled.binds
    if compiled.positiontup is None or any(
        b.expanding or b.literal_execute for b in binds.values()
    ):
        return None
    names = tuple(compiled.positiontup)
    given = compiled.construct_params({n: None for n, b in binds.items() if b.required})
    keys = list(statement.selected_columns.keys())
    row: Any = namedtuple("Row", keys, rename=True)  # type: ignore[misc]  # names known at run time
    return _Compiled(
        sql=compiled.string,
        names=names,
        given=given,
        binds=tuple(binds[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names),
        row=row._make,
        results=tuple(
            c.type.dialect_impl(dialect).result_processor(dialect, None)
            for c in statement.selected_columns
        ),
    )


class Prepared:
    """A select by key (at most one row wanted), compiled once per dialect.

    Rows are named tuples with the attributes of SQLAlchemy's rows; build the statement
    once and keep the :class:`Prepared`, as for any statement run often.
    """

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._compiled: weakref.WeakKeyDictionary[Dialect, _Compiled | None] = (
            weakref.WeakKeyDictionary()
        )

    def first(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        """The first row the statement finds with ``params``, or None."""
        compiled = self._direct(conn)
        if compiled is None:
            return conn.execute(self.statement, params).first()
        driver = conn.connection.driver_connection
        assert driver is not None  # an open connection in a transaction
        try:
            raw = driver.execute(compiled.sql, compiled.parameters(params)).fetchone()
        except sqlite3.Error:
            # Run again where SQLAlchemy reports a failure as it reports any other.
            return conn.execute(self.statement, params).first()
        return None if raw is None else compiled.make_row(raw)

    def _direct(self, conn: Connection) -> _Compiled | None:
        dialect = conn.dialect
        if dialect.name != "sqlite" or not conn.in_transaction():
            return None
        if "schema_translate_map" in conn.get_execution_options():
            return None
        try:
            return self._compiled[dialect]
        except KeyError:
            found = self._compiled[dialect] = _compile(self.statement, dialect)
            return found
