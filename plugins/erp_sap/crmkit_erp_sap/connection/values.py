"""OData V2 JSON values as Python values, per the EDMX type of the property.

SAP sends dates as ``/Date(<ms since epoch>[+-offset minutes])/``, times of day as ISO 8601
durations (``PT17H49M05S``), decimals as strings so that no precision is lost.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from attrs import frozen

_DATE = re.compile(r"^/Date\((-?\d{1,15})(?:([+-])(\d{1,4}))?\)/$")
_TIME = re.compile(r"^PT(?:(\d{1,2})H)?(?:(\d{1,2})M)?(?:(\d{1,2})(?:\.(\d{1,6})\d*)?S)?$")


@frozen
class BadValue(Exception):
    """A value that does not fit its property's type: the caller reports the row."""

    property: str
    value: Any
    reason: str

    def __str__(self) -> str:
        return f"{self.property}: {self.reason} ({self.value!r})"


def to_datetime(prop: str, value: Any) -> datetime | None:
    """An ``Edm.DateTime`` / ``Edm.DateTimeOffset`` (``/Date(ms)/``, ``/Date(ms+0060)/``) as
    an aware UTC datetime; None for null."""
    if value is None:
        return None
    found = _DATE.match(value) if isinstance(value, str) else None
    if found is None:
        raise BadValue(prop, value, "not an OData date /Date(milliseconds)/")
    millis, sign, minutes = found.groups()
    try:
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(millis))
    except OverflowError:
        raise BadValue(prop, value, "date out of range") from None
    if sign:
        # The milliseconds count local time at that offset, so the instant is earlier by it.
        offset = timedelta(minutes=int(minutes))
        moment = (moment - offset if sign == "+" else moment + offset).astimezone(UTC)
    return moment


def to_date(prop: str, value: Any) -> date | None:
    """An ``Edm.DateTime`` with ``sap:display-format="Date"`` as a date; None for null."""
    moment = to_datetime(prop, value)
    return None if moment is None else moment.date()


def to_time(prop: str, value: Any) -> time | None:
    """An ``Edm.Time`` (``PT17H49M05S``) as a time of day; None for null."""
    if value is None:
        return None
    found = _TIME.match(value) if isinstance(value, str) and value != "PT" else None
    if found is None:
        raise BadValue(prop, value, "not an OData time PTnnHnnMnnS")
    hours, minutes, seconds = (int(part or 0) for part in found.groups()[:3])
    fraction = found.group(4) or ""
    if hours > 23 or minutes > 59 or seconds > 59:
        raise BadValue(prop, value, "not a time of day")
    return time(hours, minutes, seconds, int(fraction.ljust(6, "0")) if fraction else 0)


def to_decimal(prop: str, value: Any) -> Decimal | None:
    """An ``Edm.Decimal`` (a string in OData V2 JSON) as a Decimal; None for null."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise BadValue(prop, value, "not a decimal number")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise BadValue(prop, value, "not a decimal number") from None
    if not number.is_finite():
        raise BadValue(prop, value, "not a finite decimal number")
    return number


def to_bool(prop: str, value: Any) -> bool | None:
    """An ``Edm.Boolean`` as a bool; None for null."""
    if value is None or isinstance(value, bool):
        return value
    raise BadValue(prop, value, "not true or false")


def to_text(prop: str, value: Any, max_length: int | None = None) -> str | None:
    """An ``Edm.String`` (at most ``max_length`` characters when the EDMX says so); None for
    null. SAP sends empty strings for unset texts: they stay empty."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadValue(prop, value, "not a text")
    if max_length is not None and len(value) > max_length:
        raise BadValue(prop, value, f"longer than {max_length} characters")
    return value


def to_int(prop: str, value: Any) -> int | None:
    """An ``Edm.Int16/32/64/Byte`` (Int64 comes as a string) as an int; None for null."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,19}", value):
        return int(value)
    raise BadValue(prop, value, "not a whole number")


def changed_at(prop_date: str, date_value: Any, prop_time: str, time_value: Any) -> datetime | None:
    """The instant of SAP's split change stamp (``LastChangeDate`` + ``LastChangeTime``, both
    UTC by SAP's convention for this API), None when there is no date."""
    day = to_date(prop_date, date_value)
    if day is None:
        return None
    clock = to_time(prop_time, time_value) or time(0)
    return datetime.combine(day, clock, tzinfo=UTC)


def odata_datetime(moment: datetime | date) -> str:
    """A datetime or date as an OData V2 ``$filter`` literal: ``datetime'2026-01-31T00:00:00'``."""
    if isinstance(moment, datetime):
        stamp = moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
        return f"datetime'{stamp.isoformat(timespec='seconds')}'"
    return f"datetime'{moment.isoformat()}T00:00:00'"


def odata_time(clock: time) -> str:
    """A time of day as an OData V2 ``$filter`` literal: ``time'PT17H49M05S'``."""
    return f"time'PT{clock.hour:02d}H{clock.minute:02d}M{clock.second:02d}S'"


def json_date(moment: datetime | date) -> str:
    """A datetime or date as an OData V2 JSON value ``/Date(ms)/`` (what SAP sends)."""
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time(0), tzinfo=UTC)
    elif moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    millis = (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)
    return f"/Date({millis})/"


def json_time(clock: time) -> str:
    """A time of day as an OData V2 JSON ``Edm.Time`` value ``PT17H49M05S``."""
    return f"PT{clock.hour:02d}H{clock.minute:02d}M{clock.second:02d}S"


__all__ = [
    "BadValue",
    "changed_at",
    "json_date",
    "json_time",
    "odata_datetime",
    "odata_time",
    "to_bool",
    "to_date",
    "to_datetime",
    "to_decimal",
    "to_int",
    "to_text",
    "to_time",
]
