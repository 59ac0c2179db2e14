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
        raise ValidationError("cursor", "is not a cursor this server issued") from None
    if not isinstance(values, list) or len(values) != arity:
        raise ValidationError("cursor", "is not a cursor this server issued")
    return values


def cursor_datetime(value: Any) -> datetime:
    """A date and time read back from a cursor; refuses any other value, naive times included."""
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationError("cursor", "is not a cursor this server issued") from None
    if parsed.tzinfo is None:
        raise ValidationError("cursor", "is not a cursor this server issued")
    return parsed
