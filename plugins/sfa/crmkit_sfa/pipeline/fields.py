"""Reading untrusted input (API bodies, forms): each reader raises a ValidationError naming the field.

Ids, numbers, dates and times are read by crmkit's readers (``crmkit.read_*``);
here the plugin's conventions around them: an empty optional value is None.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from crmkit import (
    Money,
    ValidationError,
    parse_whole_number,
    read_currency,
    read_date,
    read_decimal,
    read_id,
    read_timestamp,
    read_whole_number,
)

ZERO = Decimal(0)
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999999999.99")
"""The largest amount of an opportunity (its column holds 16 digits before the point)."""


def only(data: Mapping[str, Any], allowed: Iterable[str], where: str = "") -> None:
    """Refuse a field the input does not take, naming it (the first, alphabetically)."""
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError(f"{where}{sorted(unknown)[0]}", "unknown field")


def changes(stored: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    """The ``values`` that differ from ``stored``'s attributes (a record or a row): what an edit changes."""
    return {name: value for name, value in values.items() if getattr(stored, name) != value}


def text(name: str, value: Any, *, limit: int, required: bool = False) -> str | None:
    """Stripped text of at most ``limit`` characters; empty is None unless ``required``."""
    if value is None or value == "":
        if required:
            raise ValidationError(name, "required")
        return None
    if not isinstance(value, str):
        raise ValidationError(name, "expected text")
    value = value.strip()
    if required and not value:
        raise ValidationError(name, "required")
    if len(value) > limit:
        raise ValidationError(name, f"longer than {limit} characters")
    return value or None


def identifier(name: str, value: Any, *, required: bool = False) -> int | None:
    """A record id; None when absent, unless ``required``."""
    if value is None and not required:
        return None
    return read_id(name, value)


def query_id(name: str, raw: str | None, *, required: bool = False) -> int | None:
    """A record id given as a query parameter (digits, as an ``{name:id}`` path takes it)."""
    if raw is None:
        if required:
            raise ValidationError(name, "required")
        return None
    return parse_whole_number(name, raw, minimum=1)


def day(name: str, value: Any) -> date | None:
    """A date given as ``YYYY-MM-DD``; empty is None."""
    if value is None or value == "":
        return None
    return read_date(name, value)


def moment(name: str, value: Any) -> datetime | None:
    """An ISO 8601 date and time with its offset, as UTC; empty is None."""
    if value is None or value == "":
        return None
    return read_timestamp(name, value)


def currency(value: Any) -> str:
    """An ISO 4217 currency code in any case (``eur``), upper-cased."""
    if not isinstance(value, str):
        raise ValidationError("currency", f"{value!r} is not an ISO 4217 currency code")
    return read_currency("currency", value.strip().upper())


def amount(value: Any, currency: str) -> Money | None:
    """An amount of ``currency``: a string or int, never a float (cents would be lost).

    In cents, as it is stored: "100" comes back as 100.00.
    """
    if value is None or value == "":
        return None
    given = read_decimal("amount", value, places=2, minimum=ZERO, maximum=MAX_AMOUNT)
    return Money(given.quantize(CENT), currency)


def percent(name: str, value: Any) -> int:
    """A whole percentage from 0 to 100."""
    return read_whole_number(name, value, minimum=0, maximum=100)


def strings(name: str, value: Any, *, limit: int = 100) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValidationError(name, "expected a list of texts")
    return [
        text(f"{name}[{i}]", item, limit=limit, required=True) or "" for i, item in enumerate(value)
    ]


def records(name: str, value: Any, allowed: dict[str, int]) -> list[dict[str, str]]:
    """A list of objects with text fields ``allowed`` (name: longest length), e.g. contacts and roles."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValidationError(name, "expected a list of objects")
    found: list[dict[str, str]] = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise ValidationError(f"{name}[{i}]", "expected an object")
        unknown = set(item) - set(allowed)
        if unknown:
            raise ValidationError(f"{name}[{i}].{sorted(unknown)[0]}", "unknown field")
        found.append(
            {
                key: text(f"{name}[{i}].{key}", item.get(key), limit=limit, required=True) or ""
                for key, limit in allowed.items()
            }
        )
    return found
