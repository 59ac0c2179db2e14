"""Rows of a related table gathered into one JSON array, so that one statement loads a record and its parts.

``select(json_rows(a, b).label("parts")).where(...)`` compiles to
``json_group_array(json_array(a, b))`` on SQLite and ``json_agg(json_build_array(a, b))``
on PostgreSQL. As a correlated subquery it brings each record's related rows along
with it: every row becomes an array of the values in the order given, decoded once
with the rest of the result. JSON columns are embedded as JSON, not as their text.
Over no rows SQLite gives ``[]`` and PostgreSQL ``NULL``: read the result as
``parts or []``. The order of the rows is not defined.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class json_rows(FunctionElement[Any]):
    """The aggregate of one JSON array per row, each holding the given columns."""

    type = JSON()
    name = "json_rows"
    inherit_cache = True


def _argument(column: Any, compiler: SQLCompiler, **kw: Any) -> str:
    text: str = compiler.process(column, **kw)
    # SQLite keeps JSON as text: json() embeds it as a value rather than a string.
    return f"json({text})" if isinstance(column.type, JSON) else text


@compiles(json_rows, "sqlite")
def _sqlite(element: json_rows, compiler: SQLCompiler, **kw: Any) -> str:
    arguments = ", ".join(_argument(c, compiler, **kw) for c in element.clauses)
    return f"json_group_array(json_array({arguments}))"


@compiles(json_rows, "postgresql")
def _postgresql(element: json_rows, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_agg(json_build_array({compiler.process(element.clauses, **kw)}))"
