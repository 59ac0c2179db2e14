"""A deadline is always counted in the partner's opening hours, however far ahead they
reach: never plain hours falling while the partner is closed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from crmkit_dms.routing.deadlines import accept_by


def test_a_minute_a_week_reaches_the_deadline_weeks_ahead() -> None:
    hours = {"sun": [["00:00", "00:01"]]}
    offered = datetime(2026, 12, 6, 23, 4, tzinfo=UTC)  # a Sunday
    due = accept_by(offered, 4, hours, "Pacific/Kiritimati")
    local = due.astimezone(ZoneInfo("Pacific/Kiritimati"))
    # 240 minutes, one a week: the 240th Sunday from the first one after the offer.
    assert (local.weekday(), local.hour, local.minute) == (6, 0, 1)
    assert timedelta(weeks=238) < due - offered < timedelta(weeks=241)


def test_more_hours_than_two_weeks_of_opening_still_count_opening_hours() -> None:
    weekdays_9_to_17 = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    offered = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # Monday 09:00 in Berlin
    # 100 hours = 12.5 working days: Wednesday of the third week, 13:00.
    due = accept_by(offered, 100, weekdays_9_to_17, "Europe/Berlin")
    assert due == datetime(2026, 12, 23, 12, 0, tzinfo=UTC)
