"""Look-ups by key compiled once and, on SQLite, run straight on the driver.

SQLAlchemy's execution of a statement it has compiled before (an execution context, a
result and its metadata, a row) costs about 20 µs; SQLite itself finds a party by its
key, contact points and all, in 7. A request that reads one record pays that toll on
every read. :class:`Prepared` keeps, per SQLite dialect, the statement's SQL, the order
and processors of its parameters and the processors of its columns, all taken from
SQLAlchemy's compilation and types, and runs it on the connection's own driver cursor
inside the transaction SQLAlchemy began. Elsewhere (PostgreSQL, where a read is a round
trip anyway) and for what it cannot run that way (expanding parameters, values computed
at execution, columns whose names are no attribute names, a schema translated by
execution options) it is an ordinary ``conn.execute``.

What SQLAlchemy would do around the execution it does not: listeners of
``before_cursor_execute`` and the engine's SQL echo do not see these reads.
"""

from __future__ import annotations

import keyword
import weakref
from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, InvalidRequestError, StatementError

Processor = Callable[[Any], Any] | None

_KEPT = "_crmkit_prepared"
"""The dialect's attribute holding its compiled statements (see :meth:`Prepared._direct`)."""


@frozen
class _Compiled:
    sql: str
    names: tuple[str, ...]
    """The parameters in the order of the SQL's placeholders."""
    given: Mapping[str, Any]
    """The values the statement carries itself (a user id in a visibility condition)."""
    binds: tuple[Processor, ...]
    row: Callable[[Iterable[Any]], Any]
    """A named tuple of the processed values: the columns are its attributes and items."""
    results: tuple[Processor, ...]

    def parameters(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        merged = {**self.given, **params}
        try:
            values = [merged[n] for n in self.names]
        except KeyError as missing:  # as SQLAlchemy refuses it, rather than bound as NULL
            reason = f"A value is required for bind parameter {missing.args[0]!r}"
            raise StatementError(reason, self.sql, params, InvalidRequestError(reason)) from None
        return tuple(v if p is None else p(v) for p, v in zip(self.binds, values, strict=True))

    def make_row(self, raw: tuple[Any, ...]) -> Any:
        return self.row(v if p is None else p(v) for p, v in zip(self.results, raw, strict=True))


def _attribute_name(key: str) -> bool:
    return key.isidentifier() and not keyword.iskeyword(key) and not key.startswith("_")


def _compile(statement: Select[Any], dialect: Dialect) -> _Compiled | None:
    if "schema_translate_map" in statement.get_execution_options():
        return None
    keys = list(statement.selected_columns.keys())
    if len(set(keys)) != len(keys) or not all(map(_attribute_name, keys)):
        return None
    compiled = statement.compile(dialect=dialect)
    binds = compiled.binds
    if compiled.positiontup is None or any(
        b.expanding or b.literal_execute or b.callable is not None for b in binds.values()
    ):
        return None
    names = tuple(compiled.positiontup)
    required = {n for n in names if binds[n].required}
    given = compiled.construct_params(dict.fromkeys(required))
    row: Any = namedtuple("Row", keys)  # type: ignore[misc]  # names known at run time
    return _Compiled(
        sql=compiled.string,
        names=names,
        given={n: given[n] for n in names if n not in required},
        binds=tuple(binds[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names),
        row=row._make,
        results=tuple(
            c.type.dialect_impl(dialect).result_processor(dialect, None)
            for c in statement.selected_columns
        ),
    )


class Prepared:
    """A select by key (at most one row wanted), compiled once per dialect.

    A row it runs itself is a named tuple: its columns are its attributes and items, as on
    SQLAlchemy's rows, but it has no ``_mapping``. Build the statement once and keep the
    :class:`Prepared`, as for any statement run often.
    """

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement

    def first(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        """The first row the statement finds with ``params``, or None."""
        compiled = self._direct(conn)
        if compiled is None:
            return conn.execute(self.statement, params).first()
        driver = conn.connection.driver_connection
        assert driver is not None  # an open connection in a transaction
        bound = compiled.parameters(params)
        failure = conn.dialect.loaded_dbapi.Error
        try:
            cursor = driver.execute(compiled.sql, bound)
            try:
                raw = cursor.fetchone()
            finally:
                cursor.close()
        except failure as exc:
            # As SQLAlchemy reports it (OperationalError, IntegrityError, ...), not run again:
            # a second try could wait out a busy timeout twice, or outlive the transaction.
            raise DBAPIError.instance(
                compiled.sql,
                bound,
                exc,
                failure,
                hide_parameters=conn.engine.hide_parameters,
                dialect=conn.dialect,
            ) from exc
        return None if raw is None else compiled.make_row(raw)

    def _direct(self, conn: Connection) -> _Compiled | None:
        dialect = conn.dialect
        if dialect.name != "sqlite" or not conn.in_transaction():
            return None
        if "schema_translate_map" in conn.get_execution_options():
            return None
        # Kept on the dialect, not beside it: the result processors hold the dialect, so a
        # cache keyed by it would keep every engine's dialect alive (tests make thousands).
        kept: weakref.WeakKeyDictionary[Prepared, _Compiled | None] | None = getattr(
            dialect, _KEPT, None
        )
        if kept is None:
            kept = weakref.WeakKeyDictionary()
            setattr(dialect, _KEPT, kept)
        try:
            return kept[self]
        except KeyError:
            found = kept[self] = _compile(self.statement, dialect)
            return found
