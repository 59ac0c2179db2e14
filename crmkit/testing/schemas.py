"""PostgreSQL schemas for tests, kept for the next test instead of dropped.

A test on PostgreSQL gets a schema of its own. Creating its tables (a hundred statements
of DDL for a few plugins) and dropping them again cost most of a short test's time, so a
schema whose tables a test left as it found them (the same tables, columns and indexes) is
emptied (its rows deleted, its sequences restarted) and kept, per process, for the next test
that declares exactly those tables (:func:`declared`): that test finds them, under its own
schema's name, as ``create_all`` would have made them, ids starting at 1. Any other schema
is dropped, and the kept ones when the process ends.
"""

from __future__ import annotations

import atexit
import uuid
from collections.abc import Iterable
from functools import cache

from sqlalchemy import Engine, Table, text

from crmkit.core.db import make_engine

Shape = frozenset[tuple[str, str, int]]
"""A schema's relations: (name, kind, number of columns), tables, indexes and sequences."""
Declared = frozenset[str]
"""Tables as declared (each table's columns, constraints and indexes, written out)."""

_SHAPE = text(
    """
    SELECT c.relname, c.relkind, count(a.attnum)
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    WHERE n.nspname = :schema
    GROUP BY c.relname, c.relkind
    """
)


@cache
def _admin(server: str) -> Engine:
    engine = make_engine(server)
    atexit.register(_drop_kept, server)
    return engine


_kept: dict[tuple[str, Declared], list[tuple[str, Shape]]] = {}
"""Emptied schemas by server and the tables they hold, each with its shape."""


def declared(tables: Iterable[Table]) -> Declared:
    """What ``tables`` declare, as a key: two sets of tables with one key make one schema."""
    return frozenset(
        repr(t) + repr(sorted((i.name or "", repr(i.expressions)) for i in t.indexes))
        for t in tables
    )


def new_schema(server: str) -> str:
    """A new, empty schema."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with _admin(server).begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    return schema


def shape_of(server: str, schema: str) -> Shape:
    """What relations ``schema`` holds now."""
    with _admin(server).connect() as conn:
        rows = conn.execute(_SHAPE, {"schema": schema})
        return frozenset((name, kind, int(columns)) for name, kind, columns in rows)


def made(server: str, schema: str) -> Shape:
    """What relations ``schema`` holds once a test has made its tables there; the tables are
    set never to be vacuumed."""
    # A kept schema's rows are deleted (see give_back). Vacuum would give their room to the
    # next test's inserts, and a query without ORDER BY would then read those in another
    # order than a new table gives.
    shape = shape_of(server, schema)
    quiet = [
        f'ALTER TABLE "{schema}"."{name}" SET (autovacuum_enabled = false)'
        for name, kind, _ in shape
        if kind == "r"
    ]
    _run(server, quiet)
    return shape


def take(server: str, tables: Declared) -> tuple[str, Shape] | None:
    """A kept, emptied schema holding exactly ``tables``, and its shape; None when none is."""
    found = _kept.get((server, tables))
    return found.pop() if found else None


def move_in(server: str, kept: str, schema: str) -> None:
    """Put the kept schema ``kept`` in the place of ``schema``, which holds nothing yet: under
    its name, so that whatever reaches the test's database by that name finds the tables."""
    with _admin(server).begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}"'))
        conn.execute(text(f'ALTER SCHEMA "{kept}" RENAME TO "{schema}"'))


def give_back(server: str, schema: str, tables: Declared, shape: Shape) -> None:
    """Keep ``schema``, emptied, for the next test declaring ``tables`` if it still has
    ``shape`` (as they were created); otherwise drop it."""
    # A schema without declared tables is dropped: what a test made there by other means
    # (migrations, types) the shape does not tell.
    if not tables or shape_of(server, schema) != shape:
        with _admin(server).begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        return
    # DELETE and setval, not TRUNCATE: on a test's few rows they are no DDL, and much faster.
    # Foreign keys are not checked meanwhile (replica role), so the order does not matter.
    statements = [
        *(f'DELETE FROM "{schema}"."{name}"' for name, kind, _ in shape if kind in ("r", "p")),
        *(
            f'SELECT setval(\'"{schema}"."{name}"\', 1, false)'
            for name, kind, _ in shape
            if kind == "S"
        ),
    ]
    _run(server, statements, replica=True)
    _kept.setdefault((server, tables), []).append((schema, shape))


def _run(server: str, statements: list[str], *, replica: bool = False) -> None:
    """``statements`` in one transaction, sent at once; ``replica``: foreign keys unchecked."""
    if not statements:
        return
    with _admin(server).begin() as conn:
        if replica:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text("; ".join(statements)))


def _drop_kept(server: str) -> None:
    for (kept_on, _), found in _kept.items():
        for schema, _ in found if kept_on == server else ():
            # One transaction a schema: dropping holds a lock on each of its relations until
            # commit, and the server's lock table is shared by every test process ending now.
            with _admin(server).begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    _kept.clear()
