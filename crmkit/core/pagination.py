"""Opaque keyset cursors: stable under inserts, no OFFSET scans."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from attrs import frozen

from crmkit.core.errors import ValidationError

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
    if isinstance(value, bool) or not isinstance(value, int):
        raise _foreign()
    return value


def cursor_text(value: Any) -> str:
    """Text read back from a cursor; refuses any other value."""
    if not isinstance(value, str):
        raise _foreign()
    return value


def cursor_datetime(value: Any) -> datetime:
    """A date and time read back from a cursor; refuses any other value, naive times included."""
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise _foreign() from None
    if parsed.tzinfo is None:
        raise _foreign()
    return parsed
