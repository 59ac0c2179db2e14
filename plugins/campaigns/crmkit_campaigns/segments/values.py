"""Readers of a criterion's operator, value and options, each refusal naming its JSON path."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from crmkit import read_date, read_decimal, read_id
from crmkit_campaigns.segments.language import Leaf

MAX_TEXT = 200
MAX_ITEMS = 500
MAX_DAYS = 36_500
"""A hundred years: the farthest a ``days`` value reaches back."""


def operator(leaf: Leaf, allowed: Sequence[str]) -> str:
    """The leaf's operator, one of ``allowed`` (the first one when the leaf gives none)."""
    if leaf.op is None:
        return allowed[0]
    if leaf.op not in allowed:
        raise leaf.problem("op", f"expected one of {', '.join(allowed)}")
    return leaf.op


def text(leaf: Leaf, value: Any = None, part: str = "value") -> str:
    """A non-empty text of at most MAX_TEXT characters."""
    value = leaf.value if value is None and part == "value" else value
    if not isinstance(value, str) or not value.strip():
        raise leaf.problem(part, "expected a text")
    if len(value) > MAX_TEXT:
        raise leaf.problem(part, f"longer than {MAX_TEXT} characters")
    return value.strip()


def items_of(leaf: Leaf) -> list[Any]:
    """The leaf's list value: a list, or one text of comma-separated items (as a form sends
    it), each item trimmed; 1 to MAX_ITEMS of them."""
    value = leaf.value
    items = [item.strip() for item in value.split(",")] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise leaf.problem("value", "expected a list, or comma-separated text")
    if len(items) > MAX_ITEMS:
        raise leaf.problem("value", f"more than {MAX_ITEMS} items")
    return items


def texts(leaf: Leaf) -> list[str]:
    """A list of texts, or one text of comma-separated items."""
    return [text(leaf, item, f"value[{i}]") for i, item in enumerate(items_of(leaf))]


def no_value(leaf: Leaf, op: str) -> None:
    """Refuse a value given to an operator that takes none (``empty``, ``any``…)."""
    if leaf.value is not None:
        raise leaf.problem("value", f"{op} takes no value")


def choice(leaf: Leaf, choices: Sequence[str], value: Any = None, part: str = "value") -> str:
    """One of ``choices``."""
    value = leaf.value if value is None and part == "value" else value
    if value not in choices:
        raise leaf.problem(part, f"expected one of {', '.join(choices)}")
    return str(value)


def choices(leaf: Leaf, allowed: Sequence[str]) -> list[str]:
    """A list (or comma-separated text) of ``allowed`` items."""
    return [choice(leaf, allowed, item, f"value[{i}]") for i, item in enumerate(texts(leaf))]


def whole_number(
    leaf: Leaf, value: Any, part: str, *, minimum: int = 0, maximum: int = 10**9
) -> int:
    """A whole number (or its digits as text, as a form sends it) from ``minimum`` to ``maximum``."""
    if isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise leaf.problem(part, f"expected a whole number from {minimum} to {maximum}")
    return value


def days_ago(leaf: Leaf, now: datetime, value: Any, part: str) -> datetime:
    """The moment a ``days`` value (0 to MAX_DAYS) before ``now`` stands for."""
    return now - timedelta(days=whole_number(leaf, value, part, maximum=MAX_DAYS))


def moment(leaf: Leaf) -> datetime:
    """A date (``YYYY-MM-DD``) as its first moment in UTC."""
    day = read_date(f"{leaf.path}.value", leaf.value)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def amount(leaf: Leaf, value: Any, part: str) -> Decimal:
    """An amount of money, as text or a whole number."""
    return read_decimal(
        f"{leaf.path}.{part}", value, places=2, minimum=Decimal(0), maximum=Decimal(10**12)
    )


def record_id(leaf: Leaf, value: Any = None, part: str = "value") -> int:
    """A record id (or its digits as text)."""
    value = leaf.value if value is None and part == "value" else value
    if isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
        value = int(value.strip())
    return read_id(f"{leaf.path}.{part}", value)


def record_ids(leaf: Leaf) -> list[int]:
    """A list (or comma-separated text) of record ids."""
    return [record_id(leaf, item, f"value[{i}]") for i, item in enumerate(items_of(leaf))]


def parameter(leaf: Leaf, name: str, kind: str, value: Any) -> Any:
    """The option ``name`` read as its declared ``kind`` (``text``, ``number``, ``date``,
    ``days``, ``choice:a|b``): a text, an int or Decimal, a date, whole days, a choice."""
    part = f"with.{name}"
    if kind == "text":
        return text(leaf, value, part)
    if kind == "number":
        number = read_decimal(
            f"{leaf.path}.{part}",
            value,
            places=6,
            minimum=Decimal(-(10**12)),
            maximum=Decimal(10**12),
        )
        return int(number) if number == number.to_integral_value() else number
    if kind == "date":
        return read_date(f"{leaf.path}.{part}", value)
    if kind == "days":
        return whole_number(leaf, value, part, maximum=MAX_DAYS)
    if kind.startswith("choice:"):
        return choice(leaf, kind.removeprefix("choice:").split("|"), value, part)
    raise leaf.problem(part, f"the criterion declares an unknown kind {kind!r}")


def options(leaf: Leaf, known: Mapping[str, str]) -> Mapping[str, Any]:
    """The leaf's options (``with``), refusing any the criterion does not know."""
    for name in leaf.options:
        if name not in known:
            expected = ", ".join(known) or "none"
            raise leaf.problem(f"with.{name}", f"unknown option; expected {expected}")
    return leaf.options
