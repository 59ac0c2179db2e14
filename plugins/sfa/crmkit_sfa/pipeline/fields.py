"""Reading untrusted input (API bodies, forms): each reader raises a ValidationError naming the field."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from crmkit import Money, ValidationError


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
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(name, "expected a record id")
    return value


def query_id(name: str, raw: str | None, *, required: bool = False) -> int | None:
    """A record id given as a query parameter: 1 to 15 digits, as an ``{name:id}`` path takes."""
    if raw is None:
        if required:
            raise ValidationError(name, "required")
        return None
    # A longer one is beyond what a database column holds: its driver would fail (500).
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 15) or int(raw) < 1:
        raise ValidationError(name, f"expected a record id, got {raw!r}")
    return int(raw)


def day(name: str, value: Any) -> date | None:
    """A date given as ``YYYY-MM-DD``."""
    if value is None or value == "":
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationError(name, f"expected a date (YYYY-MM-DD), got {value!r}") from None


def moment(name: str, value: Any) -> datetime | None:
    """An ISO 8601 date and time with its offset, as UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise ValidationError(
                name, f"expected an ISO 8601 date and time, got {value!r}"
            ) from None
    if parsed.tzinfo is None:
        raise ValidationError(name, "needs a UTC offset (e.g. 2026-05-04T09:30:00+02:00)")
    return parsed.astimezone(UTC)


def currency(value: Any) -> str:
    """An ISO 4217 currency code, upper case."""
    if not isinstance(value, str) or len(value.strip()) != 3 or not value.strip().isalpha():
        raise ValidationError("currency", f"{value!r} is not an ISO 4217 currency code")
    return value.strip().upper()


def amount(value: Any, currency: str) -> Money | None:
    """An amount of ``currency``: a string or int, never a float (cents would be lost)."""
    if value is None or value == "":
        return None
    money = Money(value, currency)
    if money.amount < 0:
        raise ValidationError("amount", "must not be negative")
    if money.amount != money.amount.quantize(Decimal("0.01")):
        raise ValidationError("amount", "has more than two decimal places")
    if abs(money.amount) >= Decimal("1e16"):
        raise ValidationError("amount", "too large")
    return money


def percent(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise ValidationError(name, "expected a whole percentage from 0 to 100")
    return value


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
