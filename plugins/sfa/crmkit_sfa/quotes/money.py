"""Quotation arithmetic in Decimal: how a line's amounts and a document's totals are computed.

The rounding rule, the same for quotations and the orders made from them:

1. A line's net amount is ``quantity * unit_price * (100 - discount) / 100``,
   computed exactly and then rounded **once** to the currency's minor unit
   (cents for EUR, none for JPY, three places for KWD), half up.
2. The line's tax is ``net * tax_rate / 100`` on that rounded net, rounded the
   same way; its gross amount is net + tax (already exact).
3. A document's totals are the sums of its rounded lines: total net = Σ net,
   total tax = Σ tax, total gross = Σ gross. Totals are never recomputed from
   unrounded values, so the printed lines always add up to the printed totals,
   which is what an invoice checker (and the ERP) verifies.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from attrs import frozen

HUNDRED = Decimal(100)
MAX_AMOUNT = Decimal("99999999999999")
"""The largest quantity, price or amount the order book's tables hold (14 digits before the point)."""

MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(
        (
            [
                "BIF",
                "CLP",
                "DJF",
                "GNF",
                "ISK",
                "JPY",
                "KMF",
                "KRW",
                "PYG",
                "RWF",
                "UGX",
                "UYI",
                "VND",
                "VUV",
                "XAF",
                "XOF",
                "XPF",
            ]
        ),
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}
"""ISO 4217 currencies whose minor unit is not the hundredth (every other has two places)."""


def minor_places(currency: str) -> int:
    """How many decimal places the minor unit of ``currency`` has: 2 for EUR, 0 for JPY."""
    return MINOR_UNITS.get(currency, 2)


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of ``currency`` as an exponent to quantize to: ``0.01`` for EUR."""
    return Decimal(1).scaleb(-minor_places(currency))


def trimmed(value: Decimal, places: int = 0) -> Decimal:
    """``value`` without trailing zeros beyond ``places`` decimal places: ``2.500`` is ``2.5``.

    The database hands numbers back at the column's scale; this shows them as a person writes them.
    """
    short = value.normalize()
    if short.as_tuple().exponent > -places:  # type: ignore[operator]
        return value.quantize(Decimal(1).scaleb(-places))
    return short


def round_money(amount: Decimal, currency: str) -> Decimal:
    """``amount`` rounded half up to the minor unit of ``currency``."""
    return amount.quantize(minor_unit(currency), ROUND_HALF_UP)


@frozen
class LineAmounts:
    """A line's net, tax and gross amounts, each in the currency's minor unit."""

    net: Decimal
    tax: Decimal
    gross: Decimal


@frozen
class Totals:
    """A document's totals: the sums of its rounded lines."""

    net: Decimal
    tax: Decimal
    gross: Decimal


def line_amounts(
    quantity: Decimal, unit_price: Decimal, discount: Decimal, tax_rate: Decimal, currency: str
) -> LineAmounts:
    """One line's amounts by the rule of this module (discount and tax rate in percent)."""
    net = round_money(quantity * unit_price * (HUNDRED - discount) / HUNDRED, currency)
    tax = round_money(net * tax_rate / HUNDRED, currency)
    return LineAmounts(net=net, tax=tax, gross=net + tax)


def totals(lines: Iterable[LineAmounts], currency: str) -> Totals:
    """The sums of ``lines``' rounded amounts (zero, in the minor unit, for no lines)."""
    zero = round_money(Decimal(0), currency)
    net, tax = zero, zero
    for line in lines:
        net += line.net
        tax += line.tax
    return Totals(net=net, tax=tax, gross=net + tax)
