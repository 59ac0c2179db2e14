"""``[plugins.service.dispatch]``: visits to customers' sites."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from attrs import Attribute, field, frozen, validators


def _zone(instance: object, attribute: Attribute[str], value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None


@frozen
class DispatchSettings:
    """How long a visit lasts, the time zone customers are told times in, whether they are told."""

    visit_minutes: int = field(default=120, validator=[validators.ge(15), validators.le(1440)])
    """The length of a visit when a dispatch gives no end."""
    time_zone: str = field(default="UTC", validator=_zone)
    """The time zone of the times in messages to customers, and of new technicians' working windows."""
    notify_customer: bool = True
    """Email (or, without an email address, text) the customer each change of a visit."""
