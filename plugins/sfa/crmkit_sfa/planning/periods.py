"""Calendar periods targets and forecasts are set for: a month, a quarter or a year."""

from __future__ import annotations

import re
from datetime import MAXYEAR, UTC, date, datetime, time, timedelta
from typing import Literal

from attrs import frozen

from crmkit import ValidationError

PeriodKind = Literal["month", "quarter", "year"]
PERIOD_KINDS: tuple[PeriodKind, ...] = ("month", "quarter", "year")
_MONTHS_IN: dict[PeriodKind, int] = {"month": 1, "quarter": 3, "year": 12}
_KEY = re.compile(r"(?P<year>[0-9]{4})(?:-(?:(?P<month>[0-9]{2})|Q(?P<quarter>[1-4])))?")


@frozen
class Period:
    """A calendar period: its kind and first day; ``end`` is the first day after it."""

    kind: PeriodKind
    start: date

    @property
    def end(self) -> date:
        months = self.start.month - 1 + _MONTHS_IN[self.kind]
        return date(self.start.year + months // 12, months % 12 + 1, 1)

    @property
    def starts_at(self) -> datetime:
        """The period's first moment, midnight UTC (timestamps are compared in UTC)."""
        return datetime.combine(self.start, time(), UTC)

    @property
    def ends_at(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(self.end, time(), UTC)

    @property
    def key(self) -> str:
        """How people and URLs name it: ``2026``, ``2026-Q4``, ``2026-11``."""
        year = f"{self.start.year:04d}"  # the year 1 is 0001, as it was given
        if self.kind == "year":
            return year
        if self.kind == "quarter":
            return f"{year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{year}-{self.start.month:02d}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def elapsed_days(self, today: date) -> int:
        """Days of the period gone by before ``today`` (0 before it starts, all after it ends)."""
        return min(max((today - self.start).days, 0), self.days)

    def __contains__(self, day: date) -> bool:
        return self.start <= day < self.end


def period_of(kind: PeriodKind, day: date) -> Period:
    """The period of ``kind`` that contains ``day``."""
    if kind == "year":
        return Period(kind, date(day.year, 1, 1))
    if kind == "quarter":
        return Period(kind, date(day.year, (day.month - 1) // 3 * 3 + 1, 1))
    return Period(kind, date(day.year, day.month, 1))


def parse_period(field: str, value: object) -> Period:
    """``2026``, ``2026-Q4`` or ``2026-11``, from 0001 to 9999-11; the error names ``field``."""
    found = _KEY.fullmatch(value) if isinstance(value, str) else None
    if found is None or int(found["year"]) < 1 or not 1 <= int(found["month"] or 1) <= 12:
        raise ValidationError(
            field, f"expected a period like 2026, 2026-Q4 or 2026-11, got {value!r}"
        )
    year = int(found["year"])
    if found["quarter"]:
        period = Period("quarter", date(year, (int(found["quarter"]) - 1) * 3 + 1, 1))
    elif found["month"]:
        period = Period("month", date(year, int(found["month"]), 1))
    else:
        period = Period("year", date(year, 1, 1))
    # A period is compared up to the day after it, which the calendar must have.
    if period.start.month - 1 + _MONTHS_IN[period.kind] >= 12 and year == MAXYEAR:
        raise ValidationError(field, f"expected a period that ends before the year {MAXYEAR + 1}")
    return period


def week_start(day: date) -> date:
    """The Monday of ``day``'s week: forecast snapshots are taken once per week."""
    return day - timedelta(days=day.weekday())
