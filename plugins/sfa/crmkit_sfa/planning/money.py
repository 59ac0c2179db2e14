"""Amounts as exact Decimals in their currency's minor unit, whatever the database returned for a sum."""

from __future__ import annotations

from decimal import Decimal

from crmkit_sfa.quotes.money import round_money


def money(value: object, currency: str) -> Decimal:
    """``value`` (a Decimal, an int, or None for an empty sum) rounded half-up to ``currency``'s minor unit."""
    # str() first: SQLite hands some sums back as floats, and Decimal(float) keeps the binary error.
    return round_money(Decimal(str(value or 0)), currency)
