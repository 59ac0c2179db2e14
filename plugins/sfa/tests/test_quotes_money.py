"""Quotation arithmetic: each line rounded once, half up, to the currency's minor unit; totals sum the lines."""

from __future__ import annotations

from decimal import Decimal

from crmkit_sfa.quotes.money import LineAmounts, line_amounts, minor_unit, round_money, totals


def d(text: str) -> Decimal:
    return Decimal(text)


def test_half_cent_rounds_up_not_to_even() -> None:
    # 0.125 and 0.135 both end in 5: banker's rounding would give 0.12 and 0.14.
    assert round_money(d("0.125"), "EUR") == d("0.13")
    assert round_money(d("0.135"), "EUR") == d("0.14")
    assert round_money(d("-0.125"), "EUR") == d("-0.13")


def test_minor_unit_follows_the_currency() -> None:
    assert minor_unit("EUR") == d("0.01")
    assert round_money(d("1234.5"), "JPY") == d("1235")
    assert round_money(d("1.2345"), "KWD") == d("1.235")
    assert round_money(d("1.23455"), "CLF") == d("1.2346")


def test_line_net_is_rounded_once_after_the_discount() -> None:
    # 3 x 2.675 = 8.025, less 10 % = 7.2225 -> 7.22; rounding 8.025 to 8.03 first would give 7.23.
    line = line_amounts(d("3"), d("2.675"), d("10"), d("19"), "EUR")
    # Tax: 7.22 x 19 % = 1.3718 -> 1.37.
    assert line == LineAmounts(net=d("7.22"), tax=d("1.37"), gross=d("8.59"))


def test_tax_is_computed_on_the_rounded_net() -> None:
    # 1 x 4.445 -> net 4.45; tax 4.45 x 19 % = 0.8455 -> 0.85 (from the raw net 0.84455 -> 0.84).
    line = line_amounts(d("1"), d("4.445"), d("0"), d("19"), "EUR")
    assert (line.net, line.tax, line.gross) == (d("4.45"), d("0.85"), d("5.30"))


def test_totals_are_sums_of_rounded_lines_not_rounded_sums() -> None:
    # Three lines of 0.333 x 1: each rounds to 0.33; the exact sum 0.999 would round to 1.00.
    lines = [line_amounts(d("1"), d("0.333"), d("0"), d("19"), "EUR") for _ in range(3)]
    assert lines[0] == LineAmounts(net=d("0.33"), tax=d("0.06"), gross=d("0.39"))
    summed = totals(lines, "EUR")
    assert (summed.net, summed.tax, summed.gross) == (d("0.99"), d("0.18"), d("1.17"))
    assert summed.gross == sum(line.gross for line in lines)


def test_full_discount_and_zero_tax_give_zero_amounts_in_the_minor_unit() -> None:
    line = line_amounts(d("5"), d("19.99"), d("100"), d("0"), "EUR")
    assert line == LineAmounts(net=d("0.00"), tax=d("0.00"), gross=d("0.00"))
    assert str(totals([], "JPY").gross) == "0"
    assert str(totals([], "EUR").gross) == "0.00"


def test_fractional_quantities_and_prices_stay_exact() -> None:
    # 2.5 m at 3.3333 per m = 8.33325 -> 8.33; tax 8.33 x 19 % = 1.5827 -> 1.58.
    line = line_amounts(d("2.5"), d("3.3333"), d("0"), d("19"), "EUR")
    assert (line.net, line.tax, line.gross) == (d("8.33"), d("1.58"), d("9.91"))
