"""Reading the values of programmes, rules, tiers and rewards: each refusal names its field."""

from __future__ import annotations

from datetime import date
from typing import Any

from crmkit import ValidationError, read_date, read_whole_number


def read_flag(field: str, value: Any) -> bool:
    """A JSON true or false, never 0, 1 or text: what a misspelt client sends is refused."""
    if not isinstance(value, bool):
        raise ValidationError(field, "expected true or false")
    return value


def read_optional_number(field: str, value: Any, *, minimum: int, maximum: int) -> int | None:
    """A whole number within the bounds, or None (null)."""
    if value is None:
        return None
    return read_whole_number(field, value, minimum=minimum, maximum=maximum)


def read_optional_date(field: str, value: Any) -> date | None:
    """A date ``YYYY-MM-DD``, or None (null or blank)."""
    if value is None or value == "":
        return None
    return read_date(field, value)
