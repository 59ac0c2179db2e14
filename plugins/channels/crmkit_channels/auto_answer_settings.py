"""Auto-answer rules for inbound email: ``[plugins.channels.auto_answer]`` of crmkit.toml."""

from __future__ import annotations

import re
from datetime import time
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from attrs import field, frozen, validators

SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_span(value: str) -> tuple[time, time | None]:
    """``"09:00-17:30"`` as its start and end (None: midnight at the end of the day)."""
    match = SPAN.match(value)
    if match is None:
        raise ValueError(f"{value!r}: expected a span such as 09:00-17:30")
    start = time(int(match[1]), int(match[2]))
    end = None if match[3] == "24" else time(int(match[3]), int(match[4]))
    if end is not None and end <= start:
        raise ValueError(f"{value!r}: the end is not after the start")
    return start, end


def _span(instance: Any, attribute: Any, value: str | None) -> None:
    if value is not None:
        parse_span(value)


def _zone(instance: Any, attribute: Any, value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"timezone: {value!r} is not an IANA time zone") from None


@frozen
class WorkingHours:
    """The weekly working hours, a span per day (``"09:00-17:00"``); a day left out is off."""

    @classmethod
    def office(cls) -> WorkingHours:
        """Monday to Friday, 09:00 to 17:00: the hours when none are configured."""
        day = "09:00-17:00"
        return cls(mon=day, tue=day, wed=day, thu=day, fri=day)

    mon: str | None = field(default=None, validator=_span)
    tue: str | None = field(default=None, validator=_span)
    wed: str | None = field(default=None, validator=_span)
    thu: str | None = field(default=None, validator=_span)
    fri: str | None = field(default=None, validator=_span)
    sat: str | None = field(default=None, validator=_span)
    sun: str | None = field(default=None, validator=_span)

    def of(self, weekday: int) -> str | None:
        """The span of ``weekday`` (0 is Monday), None on a day off."""
        span: str | None = getattr(self, DAYS[weekday])
        return span


@frozen
class AutoAnswerRule:
    """When an inbound email is answered with ``template``: every condition given must hold.

    The first rule that matches answers; a message no rule matches is not answered.
    """

    name: str = field(validator=validators.and_(validators.min_len(1), validators.max_len(100)))
    template: str = field(validator=validators.min_len(1))
    """An email template of ``[[plugins.channels.templates]]``; it is given ``subject`` (the
    message's) and ``sender_name`` beside ``party``."""
    sender: str | None = None
    """A pattern of the sender's address, ``*`` for any run of characters:
    ``*@example.org``, ``orders-*@*``. Case does not matter."""
    subject_keywords: tuple[str, ...] = ()
    """The subject holds at least one of these (case does not matter)."""
    body_keywords: tuple[str, ...] = ()
    """The text holds at least one of these (case does not matter)."""
    hours: Literal["any", "working", "outside"] = "any"
    """Received within the working hours, outside them, or at any time."""
    between: str | None = field(default=None, validator=_span)
    """Received within this time of day (``"18:00-24:00"``), in the configured time zone."""
    first_contact: bool | None = None
    """True: only when the sender's party never wrote before; False: only when it did."""


def _distinct_rules(instance: Any, attribute: Any, value: tuple[AutoAnswerRule, ...]) -> None:
    names = [r.name for r in value]
    for name in names:
        if names.count(name) > 1:
            raise ValueError(f"auto_answer.rules: the name {name!r} is used twice")


@frozen
class AutoAnswerSettings:
    """Auto-answers to inbound email, ``[plugins.channels.auto_answer]``; no rules, no answers."""

    timezone: str = field(default="UTC", validator=_zone)
    """The IANA time zone of ``working_hours`` and of a rule's ``between``."""
    working_hours: WorkingHours = field(factory=WorkingHours.office)
    """``[plugins.channels.auto_answer.working_hours]``."""
    max_per_sender_per_day: int = field(default=3, validator=validators.ge(1))
    """At most this many auto-answers to one address in 24 hours, whatever the rules say."""
    rules: tuple[AutoAnswerRule, ...] = field(default=(), validator=_distinct_rules)
    """``[[plugins.channels.auto_answer.rules]]``, tried in order."""


def check_rule_templates(instance: Any, attribute: Any, value: AutoAnswerSettings) -> None:
    """Each rule names a template the settings define (a validator of ``ChannelsSettings``)."""
    known = {t.name for t in instance.templates}
    for rule in value.rules:
        if rule.template not in known:
            raise ValueError(
                f"auto_answer.rules: {rule.name!r} names no template of plugins.channels.templates"
                f" ({rule.template!r})"
            )
