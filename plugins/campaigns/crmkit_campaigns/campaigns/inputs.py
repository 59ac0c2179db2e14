"""Reading untrusted campaign input, each refusal naming its field (``variants[1].split``)."""

from __future__ import annotations

import re
from datetime import time
from typing import Any

from crmkit import ValidationError, read_text

KEYWORD = re.compile(r"[a-z][a-z0-9-]{0,49}")
"""A consent purpose, as the channels plugin takes it."""
CLOCK = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")


def required_text(name: str, value: Any, *, limit: int) -> str:
    """Text that must be given: see ``crmkit.read_text``."""
    found = read_text(name, value, limit=limit, required=True)
    assert found is not None  # read_text refused a blank one
    return found


def purpose(name: str, value: Any) -> str:
    """A consent purpose: a lower-case name such as ``newsletter``."""
    if not isinstance(value, str) or KEYWORD.fullmatch(value) is None:
        raise ValidationError(name, "expected a lower-case name such as newsletter or marketing")
    return value


def clock(name: str, value: Any) -> str:
    """A time of day written ``HH:MM`` (24 hours)."""
    if not isinstance(value, str) or CLOCK.fullmatch(value) is None:
        raise ValidationError(name, "expected a time of day HH:MM, e.g. 21:00")
    return value


def time_of(clock_text: str) -> time:
    """The time of day of a checked ``HH:MM``."""
    hours, minutes = clock_text.split(":")
    return time(int(hours), int(minutes))
