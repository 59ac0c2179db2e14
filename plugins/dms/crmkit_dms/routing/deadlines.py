"""When an offer must be accepted: a number of the partner's opening hours from now.

A lead offered on Friday evening to a dealer open Monday to Saturday 9-18 with 4 hours to
accept is due on Saturday at 13:00 (the dealer's time), not at midnight while it is shut.
A partner without opening hours is taken to be always open; one with opening hours is
open at some time of the week (the partners part refuses a week without an open hour), so
the deadline is always reached in them, however many weeks ahead.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, DateTime, Table, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""The keys of a partner's opening hours, Monday first (``datetime.weekday()``)."""


def _opening_spans(
    hours: dict[str, list[list[str]]], day: date, zone: ZoneInfo
) -> list[tuple[datetime, datetime]]:
    spans = []
    for opens, closes in hours.get(WEEKDAYS[day.weekday()], []):
        start = datetime.combine(day, time.fromisoformat(opens), zone)
        # "24:00" is not a time: a span running to midnight ends at the next day's start.
        end = (
            datetime.combine(day + timedelta(days=1), time(), zone)
            if closes == "24:00"
            else datetime.combine(day, time.fromisoformat(closes), zone)
        )
        if end > start:
            spans.append((start, end))
    return sorted(spans)


def accept_by(
    offered_at: datetime, hours: int, opening_hours: dict[str, list[list[str]]], time_zone: str
) -> datetime:
    """``offered_at`` plus ``hours`` of the partner's opening hours (in its time zone)."""
    if not any(opening_hours.get(day) for day in WEEKDAYS):
        return offered_at + timedelta(hours=hours)
    zone = ZoneInfo(time_zone)
    left = timedelta(hours=hours)
    local_day = offered_at.astimezone(zone).date()
    while True:  # ends: every week has open hours (and the clocks change but twice a year)
        for start, end in _opening_spans(opening_hours, local_day, zone):
            # Spans compared and added in UTC: a day that changes clocks has no missing hour.
            start_utc = max(start.astimezone(offered_at.tzinfo), offered_at)
            end_utc = end.astimezone(offered_at.tzinfo)
            if end_utc <= start_utc:
                continue
            if end_utc - start_utc >= left:
                return start_utc + left
            left -= end_utc - start_utc
        local_day += timedelta(days=1)


def local_day_start(now: datetime, time_zone: str) -> datetime:
    """The start of the partner's current day (midnight in its time zone), in ``now``'s zone."""
    zone = ZoneInfo(time_zone)
    midnight = datetime.combine(now.astimezone(zone).date(), time(), zone)
    return midnight.astimezone(now.tzinfo)


class database_now(FunctionElement[datetime]):
    """The database's clock, now, comparable with ``UTCDateTime`` columns on both databases.

    For conditions kept between requests (the kernel reuses statements holding record
    rules per actor): a moment bound when the statement was built would grow stale.
    """

    type = DateTime(timezone=True)
    inherit_cache = True
    name = "database_now"


@compiles(database_now, "sqlite")
def _sqlite_now(element: database_now, compiler: SQLCompiler, **kw: Any) -> str:
    # UTCDateTime keeps naive UTC text "YYYY-MM-DD HH:MM:SS.ffffff" on SQLite.
    return "strftime('%Y-%m-%d %H:%M:%f', 'now')"


@compiles(database_now, "postgresql")
def _postgresql_now(element: database_now, compiler: SQLCompiler, **kw: Any) -> str:
    return "statement_timestamp()"


def not_overdue(table: Table) -> ColumnElement[bool]:
    """The ``dms_assignment`` rows that are no offer past its deadline: an overdue offer is
    no longer the partner's, even before the deadline job routes it on."""
    return or_(table.c.state != "offered", table.c.accept_by > database_now())
