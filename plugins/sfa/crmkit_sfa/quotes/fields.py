"""Reading the order book's untrusted input beyond what the pipeline's readers cover.

Text, dates, record ids and currencies are read with :mod:`crmkit_sfa.pipeline.fields`;
here: refusing unknown fields, and the decimal numbers of a body's field (``crmkit.read_decimal``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from crmkit import ValidationError, read_decimal


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
    """The decimal number of the field ``name`` (None if absent), as :func:`crmkit.read_decimal` reads it."""
    value = data.get(name)
    if value is None:
        return None
    return read_decimal(
        f"{where}{name}",
        value,
        places=places,
        minimum=minimum,
        maximum=maximum,
        exclusive_minimum=exclusive_minimum,
    )
