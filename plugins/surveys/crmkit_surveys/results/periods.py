"""Weeks (from Monday), months and quarters in UTC: the bucket each database computes for a
timestamp, and the periods between two dates, so that a trend shows the periods without
answers too."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, String, cast, func

from crmkit import ValidationError

PERIODS = ("week", "month", "quarter")
MAX_PERIODS = 600
"""The most periods one trend spans: over eleven years of weeks."""


def bucket(dialect: str, column: Any, period: str) -> ColumnElement[Any]:
    """The first day of the period ``column`` (a UTC timestamp) falls in: ``YYYY-MM-DD`` text,
    or on PostgreSQL the period's first moment (formatting it per row would cost a third more)."""
    if dialect == "postgresql":
        return func.date_trunc(period, func.timezone("UTC", column))
    if period == "week":
        # The next Sunday (or the day itself), less six days: the Monday starting the week.
        return func.date(column, "weekday 0", "-6 days")
    # SQLite holds a timestamp as ISO text (``2026-03-02 08:00:00.000000``): cutting it is
    # several times cheaper than strftime's parsing it, row after row.
    if period == "month":
        return func.substr(column, 1, 8, type_=String).concat("01")
    month = cast(func.substr(column, 6, 2), Integer)
    first_month = (month - 1) // 3 * 3 + 1
    year = func.substr(column, 1, 5, type_=String)
    return year.concat(func.printf("%02d", first_month, type_=String)).concat("-01")


def start_of(day: date, period: str) -> date:
    """The first day of the period ``day`` is in."""
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def following(start: date, period: str) -> date:
    """The first day of the period after the one starting on ``start``."""
    if period == "week":
        return start + timedelta(days=7)
    months = 1 if period == "month" else 3
    index = start.month - 1 + months
    return date(start.year + index // 12, index % 12 + 1, 1)


def label(start: date, period: str) -> str:
    """``2026-W05`` (the ISO week), ``2026-03`` or ``2026-Q1``."""
    if period == "week":
        year, week, _ = start.isocalendar()
        return f"{year:04d}-W{week:02d}"
    if period == "month":
        return f"{start.year:04d}-{start.month:02d}"
    return f"{start.year:04d}-Q{(start.month - 1) // 3 + 1}"


def periods_between(first: date, last: date, period: str) -> Iterator[tuple[date, str]]:
    """Each period from the one holding ``first`` to the one holding ``last``: first day, label.

    ValidationError naming ``from`` when that is more than MAX_PERIODS."""
    start, end = start_of(first, period), start_of(last, period)
    found: list[tuple[date, str]] = []
    while start <= end:
        if len(found) == MAX_PERIODS:
            raise ValidationError("from", f"a trend spans at most {MAX_PERIODS} periods")
        found.append((start, label(start, period)))
        start = following(start, period)
    return iter(found)
