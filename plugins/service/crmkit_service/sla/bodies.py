"""The JSON bodies of the SLA routes, as the OpenAPI document describes them.

The services validate what arrives and name the wrong field; these classes tell clients
what to send.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from attrs import field, frozen

from crmkit_service.sla.calendars import Calendar, hours_as_data
from crmkit_service.web import text_field

SHIFT = {
    "type": "array",
    "maxItems": 12,
    "items": {"type": "string", "pattern": r"^\d{2}:\d{2}-\d{2}:\d{2}$"},
}
WEEK = {
    "description": 'Working hours per weekday, local time: {"mon": ["09:00-12:30", "13:30-17:00"]}',
    "properties": {day: SHIFT for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    "additionalProperties": False,
}


@frozen
class HolidayInput:
    """Days off from ``start`` to ``end`` (both included; ``end`` defaults to ``start``)."""

    __json_input__: ClassVar[bool] = True

    name: str = field(metadata={"json": {"maxLength": 100}})
    start: date
    end: date | None = None


@frozen
class CalendarInput:
    """A business-hour calendar: a time zone, working hours per weekday and public holidays."""

    __json_input__: ClassVar[bool] = True

    name: str = field(metadata={"json": {"maxLength": 100}})
    time_zone: str = field(metadata={"json": {"maxLength": 64}})
    hours: dict[str, list[str]] = field(metadata={"json": WEEK})
    team: str | None = text_field(100)
    holidays: list[HolidayInput] = field(factory=list, metadata={"json": {"maxItems": 500}})
    version: int | None = None


@frozen
class HolidayView:
    name: str
    start: date
    end: date


@frozen
class CalendarView:
    """A business-hour calendar as stored."""

    id: int
    name: str
    team: str | None
    time_zone: str
    hours: dict[str, list[str]]
    holidays: list[HolidayView]
    version: int

    @classmethod
    def of(cls, calendar: Calendar) -> CalendarView:
        assert calendar.id is not None
        return cls(
            id=calendar.id,
            name=calendar.name,
            team=calendar.team,
            time_zone=calendar.time_zone,
            hours=hours_as_data(calendar.hours),
            holidays=[HolidayView(h.name, h.start, h.end) for h in calendar.holidays],
            version=calendar.version,
        )


@frozen
class PolicyInput:
    """An SLA policy: what it applies to (unset: anything) and its targets in business minutes."""

    __json_input__: ClassVar[bool] = True

    name: str = field(metadata={"json": {"maxLength": 100}})
    first_response_minutes: int
    resolution_minutes: int
    tier: str | None = text_field(40)
    priority: Literal["low", "normal", "high", "urgent"] | None = None
    category_id: int | None = None
    warning_percent: int | None = None
    escalation: list[Literal["owner", "team_lead", "manager"]] | None = None
    penalty: str | None = text_field(300)
    version: int | None = None
