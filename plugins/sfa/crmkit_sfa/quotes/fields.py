"""Reading the order book's untrusted input beyond what the pipeline's readers cover.

Text, dates, record ids and currencies are read with :mod:`crmkit_sfa.pipeline.fields`;
here: refusing unknown fields, and decimal numbers with bounds and places.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from crmkit import ValidationError


def only(data: Mapping[str, Any], allowed: Iterable[str], where: str = "") -> None:
    """Refuse a field the input does not take, naming it."""
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError(f"{where}{sorted(unknown)[0]}", "unknown field")


def decimal(
    data: Mapping[str, Any],
    name: str,
    *,
    places: int,
    minimum: Decimal,
    maximum: Decimal,
    where: str = "",
    exclusive_minimum: bool = False,
) -> Decimal | None:
    """A decimal number given as a string or an integer (never a float), within bounds."""
    value = data.get(name)
    if value is None:
        return None
    field = f"{where}{name}"
    if isinstance(value, bool) or not isinstance(value, str | int):
        # A float has already lost the amount the client meant (0.1 is not 0.1).
        raise ValidationError(
            field, f'expected a decimal number as a string, e.g. "12.50", got {value!r}'
        )
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise ValidationError(field, f"{value!r} is not a decimal number") from None
    if not number.is_finite():
        raise ValidationError(field, f"{value!r} is not a finite number")
    if number.as_tuple().exponent < -places:  # type: ignore[operator]
        raise ValidationError(field, f"at most {places} decimal places")
    too_small = number <= minimum if exclusive_minimum else number < minimum
    if too_small or number > maximum:
        bound = "above" if exclusive_minimum else "at least"
        raise ValidationError(field, f"expected {bound} {minimum} and at most {maximum}")
    return number
