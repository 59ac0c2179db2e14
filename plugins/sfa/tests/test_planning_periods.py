"""Periods as targets and forecasts name them: 2026, 2026-Q4, 2026-11."""

from __future__ import annotations

from datetime import date

import pytest
from crmkit_sfa.planning.periods import Period, parse_period, period_of, week_start

from crmkit import ValidationError


@pytest.mark.parametrize(
    ("key", "kind", "start", "end"),
    [
        ("2026", "year", date(2026, 1, 1), date(2027, 1, 1)),
        ("2026-Q4", "quarter", date(2026, 10, 1), date(2027, 1, 1)),
        ("2026-Q1", "quarter", date(2026, 1, 1), date(2026, 4, 1)),
        ("2026-12", "month", date(2026, 12, 1), date(2027, 1, 1)),
        ("2026-02", "month", date(2026, 2, 1), date(2026, 3, 1)),
    ],
)
def test_period_key_names_its_first_day_and_the_day_after(
    key: str, kind: str, start: date, end: date
) -> None:
    period = parse_period("period", key)
    assert (period.kind, period.start, period.end, period.key) == (kind, start, end, key)


@pytest.mark.parametrize(
    "bad",
    [
        *("2026-13", "2026-Q5", "26", "2026-1", "Q4", "", None, 2026),
        *("2026\n", "\uff12\uff10\uff12\uff16"),  # what a regular expression's $ and \d let by
        # No year 0; and a period ending after 9999 has no first day after it.
        *("0000", "0000-Q1", "0000-01", "9999", "9999-Q4", "9999-12"),
    ],
)
def test_bad_period_is_refused_naming_the_field(bad: object) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_period("period", bad)
    assert refused.value.field == "period"


@pytest.mark.parametrize("key", ["0001", "0001-01", "0001-Q1", "9999-11", "9999-Q3"])
def test_the_first_and_last_periods_read_back_as_given(key: str) -> None:
    period = parse_period("period", key)
    assert period.key == key
    assert period.starts_at < period.ends_at


def test_period_of_a_day_and_the_days_gone_by() -> None:
    quarter = period_of("quarter", date(2026, 11, 23))
    assert quarter == Period("quarter", date(2026, 10, 1))
    assert quarter.days == 92
    assert quarter.elapsed_days(date(2026, 9, 1)) == 0
    assert quarter.elapsed_days(date(2026, 10, 11)) == 10
    assert quarter.elapsed_days(date(2027, 3, 1)) == 92
    assert date(2026, 12, 31) in quarter and date(2027, 1, 1) not in quarter


def test_snapshot_week_starts_on_monday() -> None:
    assert week_start(date(2026, 11, 23)) == date(2026, 11, 23)
    assert week_start(date(2026, 11, 29)) == date(2026, 11, 23)
