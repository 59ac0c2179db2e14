"""Months and quarters: how a plan's span and its targets' periods are written and bounded.

A month is written ``2027-03``, a quarter ``2027-Q1``, of the years 0001 to 9998 (a period
of 9999 would end in the year 10000, which no date holds). A period runs from the start of
its first day to the start of the day after its last, in the plan's time zone.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from attrs import frozen

from crmkit import ValidationError

_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
_QUARTER = re.compile(r"([0-9]{4})-Q([1-4])")
FIRST_YEAR = 1
LAST_YEAR = 9998
"""The years a month or quarter may fall in: the day after a period must be a date too."""


def _year(field: str, digits: str) -> int:
    year = int(digits)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationError(field, f"expected a year from {FIRST_YEAR:04d} to {LAST_YEAR}")
    return year


def read_month(field: str, value: object) -> date:
    """``YYYY-MM`` as the first day of that month."""
    found = _MONTH.fullmatch(value) if isinstance(value, str) else None
    if found is None:
        raise ValidationError(field, "expected a month, YYYY-MM")
    return date(_year(field, found[1]), int(found[2]), 1)


def month_text(first_day: date) -> str:
    """The month of ``first_day`` as ``YYYY-MM``."""
    return f"{first_day.year:04d}-{first_day.month:02d}"


def next_month(first_day: date) -> date:
    """The first day of the month after ``first_day``'s."""
    return date(first_day.year + first_day.month // 12, first_day.month % 12 + 1, 1)


@frozen
class Period:
    """A month or a quarter: its text, its first day and the first day after it."""

    text: str
    first_day: date
    day_after: date

    def starts_at(self, zone: ZoneInfo) -> datetime:
        """The moment the period starts, in UTC."""
        return _midnight(self.first_day, zone)

    def ends_at(self, zone: ZoneInfo) -> datetime:
        """The moment after the period's last, in UTC."""
        return _midnight(self.day_after, zone)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone).astimezone(UTC)


def read_period(field: str, value: object) -> Period:
    """``YYYY-MM`` or ``YYYY-Qn`` as a period."""
    if isinstance(value, str):
        month = _MONTH.fullmatch(value)
        if month is not None:
            first = date(_year(field, month[1]), int(month[2]), 1)
            return Period(value, first, next_month(first))
        quarter = _QUARTER.fullmatch(value)
        if quarter is not None:
            first = date(_year(field, quarter[1]), 3 * int(quarter[2]) - 2, 1)
            return Period(value, first, next_month(next_month(next_month(first))))
    raise ValidationError(field, "expected a month (YYYY-MM) or a quarter (YYYY-Qn)")
