"""Calendars as stored: reading them, and the one a team's clocks count by (one per team at most)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select

from crmkit import (
    ConflictError,
    NotFound,
    ValidationError,
    check_storable_text,
    read_time_zone,
)
from crmkit_service.sla.calendars import (
    AROUND_THE_CLOCK,
    Calendar,
    holidays_as_data,
    hours_as_data,
    read_holidays,
    read_hours,
)
from crmkit_service.sla.tables import calendar

FIELDS = ("name", "team", "time_zone", "hours", "holidays", "version")


def calendar_of_row(row: Any) -> Calendar:
    return Calendar(
        id=row.id,
        name=row.name,
        team=row.team,
        time_zone=row.time_zone,
        hours=read_hours(row.hours),
        holidays=read_holidays(row.holidays),
        version=row.version,
    )


def _name(data: Mapping[str, Any], field: str, *, required: bool) -> str | None:
    value = data.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 100:
        raise ValidationError(field, "expected text of 1 to 100 characters")
    check_storable_text(field, value)
    return value.strip()


def read_calendar(data: Mapping[str, Any]) -> dict[str, Any]:
    """The columns of a calendar from an untrusted body; refusals name the field."""
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise ValidationError(unknown[0], "unknown field")
    hours = read_hours(data.get("hours"))
    holidays = read_holidays(data.get("holidays", []))
    return {
        "name": _name(data, "name", required=True),
        "team": _name(data, "team", required=False),
        "time_zone": read_time_zone("time_zone", data.get("time_zone")),
        "hours": hours_as_data(hours),
        "holidays": holidays_as_data(holidays),
    }


def check_unique(conn: Connection, values: Mapping[str, Any], calendar_id: int | None) -> None:
    query = select(calendar.c.name, calendar.c.team)
    if calendar_id is not None:
        query = query.where(calendar.c.id != calendar_id)
    for row in conn.execute(query):
        if row.name == values["name"]:
            raise ConflictError(f"a calendar named {row.name!r} exists already")
        if values["team"] is not None and row.team == values["team"]:
            raise ConflictError(f"team {row.team!r} has a calendar already: {row.name!r}")


def get_calendar(conn: Connection, calendar_id: int) -> Calendar:
    row = conn.execute(select(calendar).where(calendar.c.id == calendar_id)).first()
    if row is None:
        raise NotFound(f"no calendar {calendar_id}")
    return calendar_of_row(row)


def list_calendars(conn: Connection) -> list[Calendar]:
    return [
        calendar_of_row(row) for row in conn.execute(select(calendar).order_by(calendar.c.name))
    ]


def calendar_for_team(conn: Connection, team: str | None, default_name: str | None) -> Calendar:
    """The team's calendar; else the one named by the ``default_calendar`` setting; else around the clock."""
    row = None
    if team is not None:
        row = conn.execute(select(calendar).where(calendar.c.team == team)).first()
    if row is None and default_name is not None:
        row = conn.execute(select(calendar).where(calendar.c.name == default_name)).first()
    return AROUND_THE_CLOCK if row is None else calendar_of_row(row)
