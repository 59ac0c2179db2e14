"""How pages show an event's times: in the event's own time zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from crmkit_campaigns.events.emails import when


def local(moment: datetime | None, time_zone: str) -> str:
    """``Tue 12 Jan 2027, 10:00`` in ``time_zone``; empty for no time."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(time_zone)).strftime("%a %d %b %Y, %H:%M")


def when_of(event: Any) -> str:
    """The event's start and end where it happens."""
    return when(event.starts_at, event.ends_at, event.time_zone)


HELPERS = {"local": local, "when": when_of}
"""The functions every events template may call."""
