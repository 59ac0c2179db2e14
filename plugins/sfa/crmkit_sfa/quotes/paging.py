"""Keyset pages of the order book's lists: newest first, the cursor is the last id shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Column, Connection, Select

from crmkit import Page, ValidationError

T = TypeVar("T")
MAX_LIMIT = 200


def limit_of(value: str | None, default: int = 50) -> int:
    """A page size given as a query parameter, 1 to :data:`MAX_LIMIT`."""
    if value is None:
        return default
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_LIMIT:
        raise ValidationError("limit", f"expected a whole number from 1 to {MAX_LIMIT}")
    return int(value)


def page_of(
    conn: Connection,
    query: Select[Any],
    id_column: Column[Any],
    cursor: str | None,
    limit: int,
    item: Callable[[Any], T],
) -> Page[T]:
    """The ``limit`` rows of ``query`` after ``cursor`` by descending id, and the next cursor."""
    if cursor is not None:
        # An id as a path takes it: a longer one is beyond the column (the driver would fail).
        if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= 15):
            raise ValidationError("cursor", "is not a cursor this server issued")
        query = query.where(id_column < int(cursor))
    rows = conn.execute(query.order_by(id_column.desc()).limit(limit + 1)).all()
    shown = rows[:limit]
    more = len(rows) > limit
    return Page([item(row) for row in shown], str(shown[-1].id) if more else None)
