"""How every migration context is set up: version table, table filter, rendering, connection."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Connection, Engine, MetaData, Table, TypeDecorator
from sqlalchemy.sql import sqltypes

from crmkit.core.errors import MigrationError
from crmkit.core.tables import metadata

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext

VERSION_TABLE = "crmkit_alembic_version"


def context_options(
    tables: Iterable[Table], owner: Callable[[str], str | None], branches: Iterable[str]
) -> dict[str, Any]:
    """Options for ``MigrationContext.configure``: only tables ``owner`` gives to ``branches`` are seen."""
    wanted = set(branches)

    def include_name(name: str | None, kind: str, _parents: Any) -> bool:
        return kind != "table" or (name is not None and owner(name) in wanted)

    def include_object(
        _obj: Any, name: str | None, kind: str, _reflected: bool, _other: Any
    ) -> bool:
        return include_name(name, kind, None)

    return {
        "target_metadata": _target_metadata(tables),
        "version_table": VERSION_TABLE,
        # include_name filters what is reflected from the database, include_object the app's tables.
        "include_name": include_name,
        "include_object": include_object,
        "compare_type": True,
        # Batch operations are plain ALTERs on PostgreSQL and table copies on SQLite,
        # so a revision generated on either database runs on both.
        "render_as_batch": True,
        "render_item": _render_item,
    }


def on_database(options: dict[str, Any], conn: Connection) -> dict[str, Any]:
    """``options`` for a context on ``conn``, whose comparisons skip what no Table can describe there.

    That is the tables the database keeps for itself (SQLite's virtual tables, such
    as an FTS5 index, and their shadow tables: a plugin creates them in its
    migration and drops them in its downgrade) and the indexes declared for
    another database only (``Index(...).ddl_if(dialect="postgresql")``).
    """
    unmanaged = _virtual_tables(conn)
    dialect = conn.dialect.name
    include_name = options["include_name"]

    def include_here(name: str | None, kind: str, parents: Any) -> bool:
        return not (kind == "table" and name in unmanaged) and include_name(name, kind, parents)

    def include_object_here(
        obj: Any, name: str | None, kind: str, reflected: bool, other: Any
    ) -> bool:
        wanted = getattr(obj, "_ddl_if", None)  # what Index.ddl_if() set; None: every database
        if not reflected and wanted is not None and wanted.dialect is not None:
            dialects = (wanted.dialect,) if isinstance(wanted.dialect, str) else wanted.dialect
            if dialect not in dialects:
                return False
        return include_here(name, kind, None)

    return {**options, "include_name": include_here, "include_object": include_object_here}


def _virtual_tables(conn: Connection) -> frozenset[str]:
    """SQLite's virtual tables and their shadow tables; none elsewhere."""
    if conn.dialect.name != "sqlite":
        return frozenset()
    rows = conn.exec_driver_sql("PRAGMA main.table_list").all()
    return frozenset(row[1] for row in rows if row[2] in ("virtual", "shadow"))


def _target_metadata(tables: Iterable[Table]) -> MetaData:
    """A MetaData with exactly these tables: the shared one also holds tables of plugins not loaded."""
    target = MetaData(naming_convention=metadata.naming_convention)
    for table in tables:
        copy = table.to_metadata(target)
        # The copy's indexes lose ddl_if(), which on_database needs to know where one belongs.
        wanted = {index.name: index._ddl_if for index in table.indexes if index._ddl_if}
        for index in copy.indexes:
            index._ddl_if = wanted.get(index.name)
    return target


def _render_item(kind: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render column types so that a revision imports no more application code than it must."""
    if kind != "type":
        return False
    impl = obj.impl_instance if isinstance(obj, TypeDecorator) else None
    if impl is not None and type(impl).__module__ == sqltypes.__name__:
        # The database stores the decorator's impl; a revision must keep its meaning
        # when the decorator's Python code changes later.
        return f"sa.{impl!r}"
    module = type(obj).__module__
    if module.startswith("sqlalchemy.dialects."):
        # Alembic renders another dialect's type by its repr, whose nested types
        # (JSONB's ``astext_type=Text()``) lack the ``sa.`` prefix.
        dialect = module.split(".")[2]
        autogen_context.imports.add(f"from sqlalchemy.dialects import {dialect}")
        return f"{dialect}.{_NESTED_TYPE.sub(_prefixed, repr(obj))}"
    if not module.startswith("sqlalchemy."):
        autogen_context.imports.add(f"import {module}")
    return False


_NESTED_TYPE = re.compile(r"(?<=[(=\s,])([A-Z]\w*)\(")


def _prefixed(match: re.Match[str]) -> str:
    name = match.group(1)
    return f"sa.{name}(" if hasattr(sqltypes, name) else match.group(0)


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside one transaction for a whole migration run: all of it commits or none.

    On SQLite, foreign keys are off meanwhile and checked before commit: batch
    operations copy and drop tables, and dropping a table with foreign keys on
    would cascade deletes into the rows that refer to it.
    """
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            _sqlite_pragma(conn, "PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                yield conn
                if sqlite:
                    _check_foreign_keys(conn)
        finally:
            if sqlite:
                _sqlite_pragma(conn, "PRAGMA foreign_keys=ON")


def _check_foreign_keys(conn: Connection) -> None:
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        table, rowid, parent, _ = broken[0]
        raise MigrationError(
            f"rolled back: row {rowid} of {table} refers to a missing row of {parent} "
            f"({len(broken)} such rows)"
        )


def _sqlite_pragma(conn: Connection, statement: str) -> None:
    # Through the driver: SQLAlchemy would BEGIN first, and SQLite ignores this pragma in a transaction.
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(statement)
    finally:
        cursor.close()
