"""Reading untrusted input for every part (a case, an asset, a visit, a calendar), each refusal
naming its field."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from crmkit import ValidationError, check_storable_text, read_id


def text(name: str, value: Any, *, limit: int, required: bool = False) -> str | None:
    """Text of at most ``limit`` characters, stripped; blank is None (refused when ``required``)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError(name, "is required")
        return None
    if not isinstance(value, str):
        raise ValidationError(name, "expected text")
    check_storable_text(name, value)
    value = value.strip()
    if len(value) > limit:
        raise ValidationError(name, f"at most {limit} characters")
    return value


def required_text(name: str, value: Any, *, limit: int) -> str:
    found = text(name, value, limit=limit, required=True)
    assert found is not None  # text() refused a blank one
    return found


def choice(name: str, value: Any, choices: Iterable[str]) -> str:
    allowed = tuple(choices)
    if not isinstance(value, str) or value not in allowed:
        raise ValidationError(name, f"expected one of {', '.join(allowed)}")
    return value


def optional_id(name: str, value: Any) -> int | None:
    return None if value is None else read_id(name, value)


def only(data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """Refuse a field the operation does not take, naming it."""
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError(unknown[0], "unknown field")


def flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(name, "expected true or false")
    return value


def time_zone(name: str, value: Any) -> str:
    """An IANA time zone name (``Europe/Berlin``)."""
    if not isinstance(value, str) or not value or len(value) > 64 or value.startswith("/"):
        raise ValidationError(name, "expected an IANA time zone such as Europe/Berlin")
    if value not in _iana_zones():
        raise ValidationError(name, f"unknown time zone {value!r}")
    return value


@cache
def _iana_zones() -> frozenset[str]:
    # The zone files the system has, less its own aliases: "localtime" is the server's zone,
    # which would change with the machine the calendar runs on.
    return frozenset(available_timezones()) - {"localtime", "posixrules"}
