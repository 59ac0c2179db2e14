"""Business-hour calendars: working hours per weekday in a time zone, public holidays, and
arithmetic in business time (add business minutes to an instant, count them between two).

Working hours are local wall-clock times, so a shift of 09:00-17:00 stays eight hours on the
days clocks change, while a shift running through the change (00:00-24:00) is 23 or 25 hours.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from attrs import frozen

from crmkit import ValidationError, check_storable_text, read_date

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_MINUTES = 24 * 60
MAX_HOLIDAY_DAYS = 366
_SHIFT = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


@frozen
class Holiday:
    """Days off from ``start`` to ``end``, both included."""

    name: str
    start: date
    end: date


@frozen
class Calendar:
    """When a team works: ``hours[weekday]`` are (start, end) minutes after local midnight."""

    name: str
    time_zone: str
    hours: tuple[tuple[tuple[int, int], ...], ...]
    holidays: tuple[Holiday, ...] = ()
    team: str | None = None
    id: int | None = None
    version: int = 0

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def is_holiday(self, day: date) -> bool:
        return any(h.start <= day <= h.end for h in self.holidays)


AROUND_THE_CLOCK = Calendar(
    name="around the clock", time_zone="UTC", hours=tuple(((0, DAY_MINUTES),) for _ in WEEKDAYS)
)
"""The calendar of a team that has none: every minute is business time."""


# Reading a calendar from untrusted input


def _read_shift(where: str, text: object) -> tuple[int, int]:
    match = _SHIFT.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValidationError(where, 'expected working hours such as "09:00-17:00"')
    sh, sm, eh, em = (int(g) for g in match.groups())
    start, end = sh * 60 + sm, eh * 60 + em
    if sh > 23 or sm > 59 or em > 59 or end > DAY_MINUTES:
        raise ValidationError(where, f"{text} is not a time of day (00:00 to 24:00)")
    if end <= start:
        raise ValidationError(where, f"{text} ends before it starts")
    return start, end


def read_hours(value: object) -> tuple[tuple[tuple[int, int], ...], ...]:
    """``{"mon": ["09:00-12:30", "13:30-17:00"], ...}``: days left out are days off."""
    if not isinstance(value, Mapping):
        raise ValidationError("hours", 'expected an object such as {"mon": ["09:00-17:00"]}')
    unknown = sorted(set(value) - set(WEEKDAYS))
    if unknown:
        raise ValidationError(f"hours.{unknown[0]}", f"not a weekday: use {', '.join(WEEKDAYS)}")
    week: list[tuple[tuple[int, int], ...]] = []
    for day in WEEKDAYS:
        shifts = value.get(day, [])
        if not isinstance(shifts, list) or len(shifts) > 12:
            raise ValidationError(f"hours.{day}", "expected a list of at most 12 shifts")
        read = sorted(_read_shift(f"hours.{day}[{i}]", s) for i, s in enumerate(shifts))
        for earlier, later in pairwise(read):
            if later[0] < earlier[1]:
                raise ValidationError(f"hours.{day}", "shifts overlap")
        week.append(tuple(read))
    if not any(week):
        raise ValidationError("hours", "no working time in the whole week")
    return tuple(week)


def read_holidays(value: object) -> tuple[Holiday, ...]:
    """``[{"name": ..., "start": "2026-12-24", "end": "2026-12-26"}]`` (end: the start when left out).

    Overlapping holidays are refused: two names for one day off is a mistake in the calendar.
    """
    if not isinstance(value, list) or len(value) > 500:
        raise ValidationError("holidays", "expected a list of at most 500 holidays")
    read: list[tuple[int, Holiday]] = []
    for i, item in enumerate(value):
        where = f"holidays[{i}]"
        if not isinstance(item, Mapping) or set(item) - {"name", "start", "end"}:
            raise ValidationError(where, "expected an object with name, start and end")
        name = item.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            raise ValidationError(f"{where}.name", "expected a name of 1 to 100 characters")
        check_storable_text(f"{where}.name", name)
        start = read_date(f"{where}.start", item.get("start"))
        end = read_date(f"{where}.end", item.get("end", item.get("start")))
        if start is None or end is None:
            raise ValidationError(f"{where}.start", "expected a date such as 2026-12-24")
        if end < start:
            raise ValidationError(f"{where}.end", "ends before it starts")
        if (end - start).days >= MAX_HOLIDAY_DAYS:
            raise ValidationError(f"{where}.end", f"longer than {MAX_HOLIDAY_DAYS} days")
        read.append((i, Holiday(name.strip(), start, end)))
    read.sort(key=lambda pair: pair[1].start)
    for (_, earlier), (i, later) in pairwise(read):
        if later.start <= earlier.end:
            raise ValidationError(
                f"holidays[{i}]",
                f"{later.name} ({later.start} to {later.end}) overlaps "
                f"{earlier.name} ({earlier.start} to {earlier.end})",
            )
    return tuple(holiday for _, holiday in read)


def hours_as_data(hours: tuple[tuple[tuple[int, int], ...], ...]) -> dict[str, list[str]]:
    """The working hours as the API shows and takes them."""

    def clock(minutes: int) -> str:
        return f"{minutes // 60:02d}:{minutes % 60:02d}"

    return {
        day: [f"{clock(s)}-{clock(e)}" for s, e in shifts]
        for day, shifts in zip(WEEKDAYS, hours, strict=True)
        if shifts
    }


def holidays_as_data(holidays: tuple[Holiday, ...]) -> list[dict[str, Any]]:
    return [
        {"name": h.name, "start": h.start.isoformat(), "end": h.end.isoformat()} for h in holidays
    ]


# Business-time arithmetic


def _instant(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    # zoneinfo gives the wall time the offset in force on that day, the DST change included;
    # a time the spring change skips counts with the offset before it.
    return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone).astimezone(UTC)


def working_periods(calendar: Calendar, since: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The calendar's working periods (UTC) from the one holding ``since`` on, in order, without end."""
    zone = calendar.zone
    day = since.astimezone(zone).date() - timedelta(days=1)  # a shift may run past midnight UTC
    while True:
        if not calendar.is_holiday(day):
            for start, end in calendar.hours[day.weekday()]:
                begins = _instant(day, start, zone)
                ends = (
                    _instant(day + timedelta(days=1), 0, zone)
                    if end == DAY_MINUTES
                    else (_instant(day, end, zone))
                )
                if ends > since:
                    yield max(begins, since), ends
        day += timedelta(days=1)


def add_business_seconds(calendar: Calendar, since: datetime, seconds: int) -> datetime:
    """The instant when ``seconds`` of business time have passed after ``since``."""
    if seconds < 0:
        raise ValueError("business time runs forwards only")
    left = timedelta(seconds=seconds)
    for begins, ends in working_periods(calendar, since):
        if ends - begins >= left:
            return begins + left
        left -= ends - begins
    raise AssertionError("working_periods never ends")  # pragma: no cover


def add_business_minutes(calendar: Calendar, since: datetime, minutes: int) -> datetime:
    """The instant when ``minutes`` business minutes have passed after ``since``."""
    return add_business_seconds(calendar, since, minutes * 60)


def business_seconds_between(calendar: Calendar, start: datetime, end: datetime) -> int:
    """Seconds of business time from ``start`` to ``end`` (0 when ``end`` is not later)."""
    total = timedelta()
    if end <= start:
        return 0
    for begins, ends in working_periods(calendar, start):
        if begins >= end:
            break
        total += min(ends, end) - begins
    return int(total.total_seconds())


def business_minutes_between(calendar: Calendar, start: datetime, end: datetime) -> int:
    """Whole business minutes from ``start`` to ``end``."""
    return business_seconds_between(calendar, start, end) // 60


def is_working_time(calendar: Calendar, instant: datetime) -> bool:
    begins, ends = next(working_periods(calendar, instant))
    return begins <= instant < ends
