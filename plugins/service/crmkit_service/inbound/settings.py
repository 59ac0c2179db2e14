"""``[plugins.service.email_to_case]``: which mail opens cases and how it is answered."""

from __future__ import annotations

from typing import Any

from attrs import field, frozen, validators

from crmkit import ValidationError, read_time_zone
from crmkit_service.cases.model import KINDS, PRIORITIES
from crmkit_service.sla.calendars import Calendar, read_hours

OFFICE_HOURS = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


def _addresses(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(
        isinstance(a, str) and "@" in a for a in value
    ):
        raise ValueError("addresses: expected a list of email addresses")
    return tuple(a.strip().lower() for a in value)


def _hours(value: Any) -> dict[str, list[str]]:
    try:
        read_hours(value)
    except ValidationError as exc:
        raise ValueError(f"working_hours: {exc.message}") from None
    return dict(value)


def _zone(instance: Any, attribute: Any, value: str) -> None:
    try:
        read_time_zone("time_zone", value)
    except ValidationError as exc:
        raise ValueError(f"time_zone: {exc.message}") from None


@frozen
class EmailToCaseSettings:
    """Mail to the support addresses opens cases; replies on a case's thread are added to it."""

    addresses: tuple[str, ...] = field(default=(), converter=_addresses)
    """The support addresses (``support@acme.example``): a new message to one opens a case.
    Without any, only replies on a case's thread are taken."""
    kind: str = field(default="question", validator=validators.in_(KINDS))
    priority: str = field(default="normal", validator=validators.in_(PRIORITIES))
    team: str | None = field(
        default=None, validator=validators.optional(validators.instance_of(str))
    )
    """The team new cases from mail go to (and whose SLA calendar tells the working hours)."""
    acknowledge: bool = field(default=True, validator=validators.instance_of(bool))
    """Answer a message that opened a case with its number."""
    out_of_hours_notice: bool = field(default=True, validator=validators.instance_of(bool))
    """Say so in the answer when the message came outside working hours."""
    suggest_articles: bool = field(default=True, validator=validators.instance_of(bool))
    """Name public knowledge-base articles that answer a recognised question."""
    time_zone: str = field(default="UTC", validator=_zone)
    working_hours: dict[str, list[str]] = field(
        factory=lambda: dict(OFFICE_HOURS), converter=_hours
    )
    """Used when the team has no SLA calendar: ``mon = ["09:00-17:00"]``; a day left out is off."""

    def fallback_calendar(self) -> Calendar:
        return Calendar(
            name="email to case", time_zone=self.time_zone, hours=read_hours(self.working_hours)
        )
