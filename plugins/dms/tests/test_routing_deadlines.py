"""An offer's deadline counts the partner's opening hours, in its time zone."""

from __future__ import annotations

from datetime import UTC, datetime

from crmkit_dms.routing.deadlines import accept_by

WEEKDAYS_9_TO_18 = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat")}


def test_a_lead_offered_after_closing_is_due_hours_into_the_next_opening() -> None:
    # Friday 2026-12-04 19:30 in Berlin (UTC+1): shut; Saturday 09:00 + 4 h = 13:00 local.
    offered = datetime(2026, 12, 4, 18, 30, tzinfo=UTC)
    due = accept_by(offered, 4, WEEKDAYS_9_TO_18, "Europe/Berlin")
    assert due == datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def test_the_hours_left_at_closing_carry_over_the_closed_sunday() -> None:
    # Saturday 16:00 local: 2 hours today, 2 more from Monday 09:00.
    offered = datetime(2026, 12, 5, 15, 0, tzinfo=UTC)
    due = accept_by(offered, 4, WEEKDAYS_9_TO_18, "Europe/Berlin")
    assert due == datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def test_a_split_day_skips_the_lunch_break() -> None:
    hours = {"mon": [["13:00", "18:00"], ["08:00", "12:00"]]}
    offered = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # Monday 11:00 in Berlin
    assert accept_by(offered, 2, hours, "Europe/Berlin") == datetime(2026, 12, 7, 13, 0, tzinfo=UTC)


def test_the_night_clocks_change_is_no_missing_hour() -> None:
    # 2026-03-29: Berlin goes from 02:00 to 03:00; open all day, 24 hours are 24 real hours.
    always = {
        day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    }
    offered = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    assert accept_by(offered, 24, always, "Europe/Berlin") == datetime(
        2026, 3, 29, 12, 0, tzinfo=UTC
    )


def test_a_partner_without_opening_hours_counts_plain_hours() -> None:
    offered = datetime(2026, 12, 6, 23, 0, tzinfo=UTC)
    assert accept_by(offered, 4, {}, "Europe/Berlin") == datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
    shut: dict[str, list[list[str]]] = {"mon": []}
    assert accept_by(offered, 4, shut, "Europe/Berlin") == datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
