"""Readers of untrusted input: record ids, whole numbers, decimals, dates and moments.

Each reader takes a value as a JSON body, a form or a query parameter carries it,
returns it as it is stored, and refuses (:class:`ValidationError` naming the
field) whatever a database column could not hold or would give back changed:
an id beyond :data:`MAX_ID`, a number with more digits than its column, a date
and time that is no moment of the years 1 to 9999 in UTC. What a reader accepts
reads back equal.

:func:`read_text`, :func:`read_choice`, :func:`read_time_zone` and :func:`check_fields`
read what every plugin's forms and bodies hold besides: text, a choice, a time zone, and
no field the operation does not take.

``read_*`` take a value of a JSON body (dates, times and decimals are text there,
as in forms and query parameters); :func:`parse_whole_number` takes the digits
of a query parameter or a form field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from sqlalchemy import Connection, Table, select

from crmkit.core.errors import ValidationError
from crmkit.core.untrusted import check_storable_text

MAX_ID = 2**53 - 1
"""The largest record id: every id a JSON number carries exactly (RFC 7493), and any id column holds."""

FIRST_MOMENT = datetime(1, 1, 2, tzinfo=UTC)
LAST_MOMENT = datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=UTC)
"""The moments accepted: a database shows them in any time zone without leaving the years 1 to 9999."""

MAX_NUMBER_LENGTH = 40
"""The longest text a number is read from: more digits than any column holds."""

_DIGITS = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def read_id(field: str, value: Any) -> int:
    """A record id: a JSON whole number from 1 to :data:`MAX_ID`."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise ValidationError(field, f"expected a record id (a whole number from 1 to {MAX_ID})")
    return value


def read_whole_number(field: str, value: Any, *, minimum: int = 0, maximum: int = MAX_ID) -> int:
    """A JSON whole number from ``minimum`` to ``maximum``."""
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise ValidationError(field, f"expected a whole number from {minimum} to {maximum}")
    return value


def parse_whole_number(field: str, text: str, *, minimum: int = 0, maximum: int = MAX_ID) -> int:
    """A whole number written in digits (a query parameter, a form field), ``minimum`` to ``maximum``."""
    # Digits only: int() would also take "-1", " 1", "1_0" and other scripts' digits.
    if _DIGITS.fullmatch(text) is None:
        raise ValidationError(field, f"expected a whole number, got {_shown(text)}")
    digits = text.lstrip("0") or "0"
    # More digits than ``maximum`` has are out of range, without making an int of them.
    if len(digits) > len(str(maximum)) or not minimum <= int(digits) <= maximum:
        raise ValidationError(
            field, f"expected a whole number from {minimum} to {maximum}, got {_shown(text)}"
        )
    return int(digits)


def read_decimal(
    field: str,
    value: Any,
    *,
    places: int,
    minimum: Decimal,
    maximum: Decimal,
    exclusive_minimum: bool = False,
) -> Decimal:
    """A decimal number given as text or a whole number (never a float), within bounds.

    At most ``places`` decimal places; from ``minimum`` (or above it, if
    ``exclusive_minimum``) to ``maximum``. ``"1e3"`` is read as ``1000``.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        # A float has already lost the amount the client meant (0.1 is not 0.1).
        raise ValidationError(field, 'expected a decimal number as text, e.g. "12.50"')
    if isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_NUMBER_LENGTH:
            raise ValidationError(field, f"longer than {MAX_NUMBER_LENGTH} characters")
        if _DECIMAL.fullmatch(text) is None:
            raise ValidationError(field, 'expected a decimal number as text, e.g. "12.50"')
        value = text
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValidationError(field, "expected a decimal number") from None
    if not number.is_finite():
        raise ValidationError(field, "expected a finite number")
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)  # a finite number's is
    if exponent < -places:
        raise ValidationError(field, f"at most {places} decimal places")
    too_small = number <= minimum if exclusive_minimum else number < minimum
    if too_small or number > maximum:
        bound = "more than" if exclusive_minimum else "at least"
        raise ValidationError(field, f"expected {bound} {minimum} and at most {maximum}")
    # Within bounds, these are exact: "1E+3" comes back as 1000, "-0" as 0.
    if exponent > 0:
        number = number.quantize(Decimal(1))
    return abs(number) if number.is_zero() else number


def read_date(field: str, value: Any) -> date:
    """A date given as ``YYYY-MM-DD`` (or a :class:`~datetime.date`)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValidationError(field, f"expected a date (YYYY-MM-DD), got {_shown(value)}")


def read_timestamp(field: str, value: Any) -> datetime:
    """An ISO 8601 date and time with its UTC offset (or an aware datetime), as UTC."""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise ValidationError(
                field, f"expected an ISO 8601 date and time, got {_shown(value)}"
            ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationError(field, "needs a UTC offset (e.g. 2026-05-04T09:30:00+02:00)")
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:30+01:00 is in the year 0 in UTC
        raise _out_of_range(field) from None
    if not FIRST_MOMENT <= moment <= LAST_MOMENT:
        raise _out_of_range(field)
    return moment


def _out_of_range(field: str) -> ValidationError:
    first, last = FIRST_MOMENT.date(), LAST_MOMENT.date()
    return ValidationError(field, f"expected a moment from {first} to {last} in UTC")


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= MAX_NUMBER_LENGTH else f"{text[:MAX_NUMBER_LENGTH]}…"


def read_reference(conn: Connection, field: str, value: Any, table: Table, what: str) -> int:
    """The id of an existing row of ``table`` (a ``what``: "user", "party"), given as ``field``.

    Checked before writing, so that a missing row is a problem naming the field
    instead of the database's foreign key error.
    """
    record_id = read_id(field, value)
    if conn.execute(select(table.c.id).where(table.c.id == record_id)).first() is None:
        raise ValidationError(field, f"{what} {record_id} does not exist")
    return record_id


def read_text(field: str, value: Any, *, limit: int, required: bool = False) -> str | None:
    """Text of at most ``limit`` characters, stripped; blank or missing is None (refused when
    ``required``); text a database would not store as given (NUL, lone surrogates) is refused."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError(field, "is required")
        return None
    if not isinstance(value, str):
        raise ValidationError(field, "expected text")
    check_storable_text(field, value)
    value = value.strip()
    if len(value) > limit:
        raise ValidationError(field, f"at most {limit} characters")
    return value


def read_choice(field: str, value: Any, choices: Iterable[str]) -> str:
    """One of ``choices``, exactly."""
    allowed = tuple(choices)
    if not isinstance(value, str) or value not in allowed:
        raise ValidationError(field, f"expected one of {', '.join(allowed)}")
    return value


def read_time_zone(field: str, value: Any) -> str:
    """An IANA time zone name such as ``Europe/Berlin`` that this machine knows."""
    if not isinstance(value, str) or value not in _time_zones():
        raise ValidationError(field, "expected an IANA time zone such as Europe/Berlin")
    return value


@cache
def _time_zones() -> frozenset[str]:
    # "localtime" is the server's own zone, which would change with the machine.
    return frozenset(available_timezones()) - {"localtime", "posixrules"}


def check_fields(data: Mapping[str, Any], allowed: Iterable[str], prefix: str = "") -> None:
    """Refuse a field of ``data`` the operation does not take, naming it (after ``prefix``,
    such as ``variants[1].``), so that a misspelt field is never ignored."""
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError(f"{prefix}{unknown[0]}", "unknown field")
