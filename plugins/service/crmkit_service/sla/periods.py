"""Reporting periods named as people write them: a year, a quarter or a month."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from attrs import frozen

from crmkit import ValidationError

_PERIOD = re.compile(r"^(\d{4})(?:-Q([1-4])|-(0[1-9]|1[0-2]))?$")


@frozen
class Period:
    """From ``start`` (included) to ``end`` (excluded), midnight UTC."""

    key: str
    start: datetime
    end: datetime


def _midnight(year: int, month: int) -> datetime:
    if month > 12:
        year, month = year + 1, month - 12
    return datetime(year, month, 1, tzinfo=UTC)


def read_period(field: str, text: str) -> Period:
    """``2026``, ``2026-Q4`` or ``2026-11``."""
    match = _PERIOD.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValidationError(
            field, "expected a year (2026), a quarter (2026-Q4) or a month (2026-11)"
        )
    year = int(match.group(1))
    if not 1 <= year <= 9998:
        raise ValidationError(field, "expected a year from 1 to 9998")
    if match.group(2):
        first = (int(match.group(2)) - 1) * 3 + 1
        return Period(text, _midnight(year, first), _midnight(year, first + 3))
    if match.group(3):
        month = int(match.group(3))
        return Period(text, _midnight(year, month), _midnight(year, month + 1))
    return Period(text, _midnight(year, 1), _midnight(year + 1, 1))


def quarter_of(day: date) -> Period:
    return read_period("period", f"{day.year}-Q{(day.month - 1) // 3 + 1}")
