"""Business-hour calendars: arithmetic across nights, weekends, holidays and DST changes; refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from crmkit_service.sla.calendars import (
    AROUND_THE_CLOCK,
    Calendar,
    Holiday,
    add_business_minutes,
    business_minutes_between,
    is_working_time,
    read_holidays,
    read_hours,
)

from crmkit import ValidationError, read_time_zone


def office(time_zone: str = "Europe/Berlin", holidays: tuple[Holiday, ...] = ()) -> Calendar:
    """Monday to Friday 09:00-12:30 and 13:30-17:00 (seven hours a day)."""
    day = ("09:00-12:30", "13:30-17:00")
    hours = read_hours({d: list(day) for d in ("mon", "tue", "wed", "thu", "fri")})
    return Calendar(name="office", time_zone=time_zone, hours=hours, holidays=holidays)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_minutes_are_added_within_the_working_day_and_skip_the_lunch_break() -> None:
    # Tuesday 2026-12-08 10:00 in Berlin is 09:00 UTC (winter time, UTC+1).
    start = utc(2026, 12, 8, 9, 0)
    assert add_business_minutes(office(), start, 60) == utc(2026, 12, 8, 10, 0)
    # 150 minutes: 10:00 to 12:30 local is exactly the morning; 151 spills past lunch.
    assert add_business_minutes(office(), start, 150) == utc(2026, 12, 8, 11, 30)
    assert add_business_minutes(office(), start, 151) == utc(2026, 12, 8, 12, 31)


def test_evenings_weekends_and_holidays_do_not_count() -> None:
    friday_afternoon = utc(2026, 12, 11, 15, 0)  # 16:00 local: one business hour left
    assert add_business_minutes(office(), friday_afternoon, 120) == utc(2026, 12, 14, 9, 0)
    christmas = (Holiday("Christmas", date(2026, 12, 24), date(2026, 12, 26)),)
    wednesday_evening = utc(2026, 12, 23, 18, 0)
    # Thursday and Friday are holidays, then the weekend: Monday 28th 10:00 local.
    assert add_business_minutes(office(holidays=christmas), wednesday_evening, 60) == utc(
        2026, 12, 28, 9, 0
    )
    assert (
        business_minutes_between(
            office(holidays=christmas), wednesday_evening, utc(2026, 12, 28, 9, 0)
        )
        == 60
    )
    assert (
        business_minutes_between(office(), wednesday_evening, utc(2026, 12, 28, 9, 0))
        == 60 + 2 * 420
    )


def test_a_shift_keeps_its_length_on_the_days_the_clocks_change() -> None:
    # Friday 2026-10-23 16:00 CEST is 14:00 UTC; summer time ends on Sunday the 25th.
    friday = utc(2026, 10, 23, 14, 0)
    monday = add_business_minutes(office(), friday, 120)
    assert monday == utc(2026, 10, 26, 9, 0)  # 10:00 CET = 09:00 UTC, an hour later in UTC
    assert business_minutes_between(office(), friday, monday) == 120
    # Summer time starts on Sunday 2026-03-29: Monday's shift begins at 07:00 UTC, not 08:00.
    assert add_business_minutes(office(), utc(2026, 3, 27, 16, 0), 1) == utc(2026, 3, 30, 7, 1)


def test_a_day_through_the_change_is_23_or_25_hours_long() -> None:
    all_day = read_hours(
        {d: ["00:00-24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    )
    berlin = Calendar(name="24/7 Berlin", time_zone="Europe/Berlin", hours=all_day)
    spring = business_minutes_between(berlin, utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 22, 0))
    autumn = business_minutes_between(berlin, utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 23, 0))
    assert (spring, autumn) == (23 * 60, 25 * 60)


def test_working_time_and_the_around_the_clock_calendar() -> None:
    assert is_working_time(office(), utc(2026, 12, 8, 9, 0))
    assert not is_working_time(office(), utc(2026, 12, 8, 11, 45))  # 12:45 local: lunch
    assert not is_working_time(office(), utc(2026, 12, 12, 10, 0))  # Saturday
    assert is_working_time(office("America/New_York"), utc(2026, 12, 8, 15, 0))  # 10:00 there
    assert add_business_minutes(AROUND_THE_CLOCK, utc(2026, 12, 12, 23, 30), 90) == utc(
        2026, 12, 13, 1, 0
    )


@pytest.mark.parametrize(
    ("holidays", "field"),
    [
        (
            [
                {"name": "Christmas", "start": "2026-12-24", "end": "2026-12-26"},
                {"name": "Boxing Day", "start": "2026-12-26"},
            ],
            "holidays[1]",
        ),
        (
            [
                {"name": "Company week", "start": "2026-12-28", "end": "2027-01-02"},
                {"name": "New Year", "start": "2027-01-01"},
            ],
            "holidays[1]",
        ),
        ([{"name": "Backwards", "start": "2026-12-26", "end": "2026-12-24"}], "holidays[0].end"),
        ([{"name": "", "start": "2026-12-26"}], "holidays[0].name"),
        ([{"name": "Typo", "start": "2026-13-01"}], "holidays[0].start"),
    ],
)
def test_overlapping_or_broken_holidays_are_refused_naming_the_entry(
    holidays: Any, field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        read_holidays(holidays)
    assert refused.value.field == field


@pytest.mark.parametrize(
    ("hours", "field"),
    [
        ({"mon": ["17:00-09:00"]}, "hours.mon[0]"),
        ({"mon": ["09:00-25:00"]}, "hours.mon[0]"),
        ({"mon": ["9-5"]}, "hours.mon[0]"),
        ({"mon": ["09:00-13:00", "12:00-17:00"]}, "hours.mon"),
        ({"monday": ["09:00-17:00"]}, "hours.monday"),
        ({}, "hours"),
    ],
)
def test_broken_working_hours_are_refused_naming_the_field(hours: Any, field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        read_hours(hours)
    assert refused.value.field == field


@pytest.mark.parametrize("name", ["localtime", "posixrules", "Mars/Olympus", "../UTC", ""])
def test_only_iana_time_zones_are_taken(name: str) -> None:
    with pytest.raises(ValidationError) as refused:
        read_time_zone("time_zone", name)
    assert refused.value.field == "time_zone"
    assert read_time_zone("time_zone", "Europe/Berlin") == "Europe/Berlin"
