"""``[plugins.campaigns.events]``: how the events part behaves."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from attrs import field, frozen, validators


def _time_zone(_instance: Any, attribute: Any, value: str) -> None:
    """Refuse, at load, a zone no event could be shown in."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"{attribute.name}: no time zone named {value!r}") from None


@frozen
class EventSettings:
    """``[plugins.campaigns.events]``.

    ``confirm_hours``: how long the link confirming a registration (double opt-in)
    works; ``reminder_hours``: how long before an event starts its confirmed
    registrants get their one reminder; ``default_time_zone``: the zone of an
    event created without one.
    """

    confirm_hours: int = field(default=48, validator=validators.in_(range(1, 24 * 30 + 1)))
    reminder_hours: int = field(default=24, validator=validators.in_(range(1, 24 * 30 + 1)))
    default_time_zone: str = field(default="Europe/Berlin", validator=_time_zone)
