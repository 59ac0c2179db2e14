"""Calendar periods targets and forecasts are set for: a month, a quarter or a year."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from attrs import frozen

from crmkit import ValidationError

PeriodKind = Literal["month", "quarter", "year"]
PERIOD_KINDS: tuple[PeriodKind, ...] = ("month", "quarter", "year")
_MONTHS_IN: dict[PeriodKind, int] = {"month": 1, "quarter": 3, "year": 12}
_KEY = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>\d{2})|Q(?P<quarter>[1-4])))?$")


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
        if self.kind == "year":
            return str(self.start.year)
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year}-{self.start.month:02d}"

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
    """``2026``, ``2026-Q4`` or ``2026-11``; the error names ``field``."""
    found = _KEY.match(value) if isinstance(value, str) else None
    if found is None or not 1 <= int(found["month"] or 1) <= 12:
        raise ValidationError(
            field, f"expected a period like 2026, 2026-Q4 or 2026-11, got {value!r}"
        )
    year = int(found["year"])
    if found["quarter"]:
        return Period("quarter", date(year, (int(found["quarter"]) - 1) * 3 + 1, 1))
    if found["month"]:
        return Period("month", date(year, int(found["month"]), 1))
    return Period("year", date(year, 1, 1))


def week_start(day: date) -> date:
    """The Monday of ``day``'s week: forecast snapshots are taken once per week."""
    return day - timedelta(days=day.weekday())
