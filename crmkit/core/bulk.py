"""Writing many rows at once: ids reserved up front, and one bulk insert per table.

For paths that write thousands of rows in one transaction (imports, a campaign's
outbox): the rows are inserted without SQLAlchemy's per-row parameter handling and
without ``RETURNING``, COPY on PostgreSQL, the driver's ``executemany`` on SQLite.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Dialect, Integer, Table, func, select, text
from sqlalchemy import insert as sql_insert
from sqlalchemy.exc import DBAPIError, StatementError

COPY_FROM_ROWS = 100
"""Fewer rows are inserted by executemany on PostgreSQL too: starting a COPY costs more."""


def allocate_ids(conn: Connection, table: Table, count: int) -> list[int]:
    """Reserve ``count`` new ids of ``table``'s integer primary key ``id``, for rows that
    :func:`bulk_insert` then writes with them (and rows of other tables that point to them).

    The table's ids are never reused (AUTOINCREMENT on SQLite, a sequence on PostgreSQL),
    so none of these is an id a deleted row had.
    """
    if conn.dialect.name == "postgresql":
        return list(conn.execute(_NEXT_IDS, {"table": table.name, "n": count}).scalars())
    # SQLite: every transaction holds the write lock from BEGIN (crmkit.core.db), so
    # no other writer can take these ids before this transaction commits.
    last = conn.execute(_highest_id(table), {"name": table.name}).scalar_one()
    return list(range(last + 1, last + 1 + count))


_NEXT_IDS = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)")


@functools.cache
def _highest_id(table: Table) -> Any:
    """SQLite: the highest id ``table`` has or ever gave (0 if none), deleted rows' included.

    The table is AUTOINCREMENT, and SQLite raises the mark in ``sqlite_sequence`` itself
    when a block is inserted with explicit ids, so the single inserts that follow start
    above the block. Built once a table: it runs with every batch written.
    """
    given = text("SELECT seq FROM sqlite_sequence WHERE name = :name").columns(seq=Integer)
    return select(
        func.max(
            select(func.coalesce(func.max(table.c.id), 0)).scalar_subquery(),
            func.coalesce(given.scalar_subquery(), 0),
        )
    )


def bulk_insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys): COPY on PostgreSQL, else one executemany.

    Each value goes through its column's bind processing, as an ``insert()`` through
    SQLAlchemy would take it, and a failure is raised as it would raise it (a value the
    column refuses: ``StatementError``; a broken constraint: ``IntegrityError``).
    """
    if not rows:
        return
    postgres = conn.dialect.name == "postgresql"
    if postgres and len(rows) < COPY_FROM_ROWS:
        conn.execute(sql_insert(table), rows)
        return
    columns = tuple(rows[0])
    try:
        values = _processed(_processors(conn.dialect, table, columns), columns, rows)
    except (ValueError, TypeError) as exc:  # a value its column refuses, as insert() says it
        raise StatementError(str(exc), f"INSERT INTO {table.name}", None, exc) from exc
    if postgres:
        _copy(conn, table, columns, values)
    else:
        conn.exec_driver_sql(_plain_insert(conn.dialect, table, columns), values)


def _processed(
    processors: tuple[Callable[[Any], Any] | None, ...],
    columns: tuple[str, ...],
    rows: list[dict[str, Any]],
) -> list[tuple[Any, ...]]:
    """The rows' values, column by column through the columns' bind processors: SQLAlchemy's
    executemany would prepare each row's parameters on its own, costing more than the
    database takes to insert it."""
    params = []
    for column, process in zip(columns, processors, strict=True):
        values = [row[column] for row in rows]
        first = values[0]
        if process is None:
            params.append(values)
        elif all(v is first for v in values):
            # A value the whole batch shares (its time, a status) is processed once.
            params.append([process(first)] * len(values))
        else:
            params.append(list(map(process, values)))
    return list(zip(*params, strict=True))


@functools.lru_cache(maxsize=64)
def _processors(
    dialect: Dialect, table: Table, columns: tuple[str, ...]
) -> tuple[Callable[[Any], Any] | None, ...]:
    return tuple(table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns)


@functools.lru_cache(maxsize=64)
def _plain_insert(dialect: Dialect, table: Table, columns: tuple[str, ...]) -> str:
    """A driver-level ``INSERT`` of ``columns`` into ``table``."""
    preparer = dialect.identifier_preparer
    return (
        f"INSERT INTO {preparer.format_table(table)} "
        f"({', '.join(preparer.quote(c) for c in columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})"
    )


def _copy(
    conn: Connection, table: Table, columns: tuple[str, ...], values: list[tuple[Any, ...]]
) -> None:
    import psycopg

    preparer = conn.dialect.identifier_preparer
    statement = (
        f"COPY {preparer.format_table(table)} "
        f"({', '.join(preparer.quote(name) for name in columns)}) FROM STDIN"
    )
    driver = conn.connection.driver_connection
    assert driver is not None
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in values:
                copy.write_row(row)
    except psycopg.Error as exc:
        raise DBAPIError.instance(statement, None, exc, psycopg.Error) from exc
