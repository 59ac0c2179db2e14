"""Opaque keyset cursors: stable under inserts, no OFFSET scans."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from attrs import frozen
from sqlalchemy import ColumnElement, Connection, Select

from crmkit.core.errors import ValidationError
from crmkit.core.inputs import read_id, read_timestamp
from crmkit.core.untrusted import check_storable_text

T = TypeVar("T")
MAX_LIMIT = 500
"""The most items one page may hold."""


@frozen
class Page(Generic[T]):
    """One page of results and the cursor of the next page (None on the last)."""

    items: Sequence[T]
    next_cursor: str | None


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps(list(values), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise _foreign() from None
    if not isinstance(values, list) or len(values) != arity:
        raise _foreign()
    return values


def _foreign() -> ValidationError:
    return ValidationError("cursor", "is not a cursor this server issued")


def check_limit(limit: int) -> None:
    """Refuse a page size outside 1 to :data:`MAX_LIMIT`."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError("limit", f"expected a number from 1 to {MAX_LIMIT}")


def cursor_id(value: Any) -> int:
    """An id read back from a cursor; refuses any other value."""
    try:
        return read_id("cursor", value)
    except ValidationError:
        raise _foreign() from None


def cursor_text(value: Any) -> str:
    """Text read back from a cursor; refuses any other value, and text no database takes."""
    if not isinstance(value, str):
        raise _foreign()
    try:
        check_storable_text("cursor", value)
    except ValidationError:
        raise _foreign() from None
    return value


def cursor_datetime(value: Any) -> datetime:
    """A date and time read back from a cursor; refuses any other value, naive times included."""
    if not isinstance(value, str):
        raise _foreign()
    try:
        return read_timestamp("cursor", value)
    except ValidationError:
        raise _foreign() from None


def newest_first(
    conn: Connection,
    query: Select[Any],
    id_column: ColumnElement[int],
    make: Callable[[Any], T],
    *,
    cursor: str | None,
    limit: int,
) -> Page[T]:
    """A page of ``query``'s rows (each made an item by ``make``), highest id first.

    ``cursor`` is the ``next_cursor`` of the page before; one this server did not
    issue is a :class:`ValidationError` naming ``cursor``.
    """
    check_limit(limit)
    if cursor is not None:
        (before,) = decode_cursor(cursor, 1)
        query = query.where(id_column < cursor_id(before))
    rows = conn.execute(query.order_by(id_column.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return Page([make(r) for r in rows], encode_cursor([rows[-1].id]) if more else None)
