"""``[plugins.campaigns.plans]``: how the plans part behaves."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from attrs import Attribute, field, frozen, validators


def _zone(instance: object, attribute: Attribute[str], value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None


@frozen
class PlanSettings:
    """``[plugins.campaigns.plans]``."""

    tolerance_percent: int = field(default=10, validator=[validators.ge(0), validators.le(100)])
    """How far (in percent of the expected value) an actual may fall short of it and still be
    "on track", or must run ahead of it to be "ahead"."""
    time_zone: str = field(default="UTC", validator=_zone)
    """Where months and quarters begin and end, for counting what happened in a period."""
