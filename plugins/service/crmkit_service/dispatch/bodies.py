"""The JSON request bodies of the dispatch and technician routes, as the OpenAPI document describes them."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from attrs import field, frozen

from crmkit_service.dispatch.service import ADDRESS_PART_LENGTH, POSTCODE_LENGTH, TEXT_LENGTH
from crmkit_service.dispatch.technicians import MAX_TERRITORIES, MAX_WINDOWS, NAME_LENGTH
from crmkit_service.web import text_field

Urgency = Literal["low", "normal", "high", "emergency"]
Reported = Literal["on_site", "done", "cancelled"]
TEXT = {"json": {"maxLength": TEXT_LENGTH}}


@frozen
class SiteAddress:
    """Where the visit is; country (ISO 3166 alpha-2) and postcode decide who serves it."""

    __json_input__: ClassVar[bool] = True

    country: str = field(metadata={"json": {"maxLength": ADDRESS_PART_LENGTH}})
    postcode: str = field(metadata={"json": {"maxLength": POSTCODE_LENGTH}})
    street: str | None = text_field(ADDRESS_PART_LENGTH)
    street_number: str | None = text_field(ADDRESS_PART_LENGTH)
    address_line2: str | None = text_field(ADDRESS_PART_LENGTH)
    city: str | None = text_field(ADDRESS_PART_LENGTH)
    region: str | None = text_field(ADDRESS_PART_LENGTH)


@frozen
class DispatchInput:
    """A visit for the case: the slot, and optionally the site (default the customer's first address),
    the asset (default the case's) and the technician to send at once."""

    __json_input__: ClassVar[bool] = True

    scheduled_start: datetime
    scheduled_end: datetime | None = None
    urgency: Urgency = "normal"
    address: SiteAddress | None = None
    asset_id: int | None = None
    technician_id: int | None = None
    instructions: str | None = field(default=None, metadata=TEXT)


@frozen
class Assignment:
    """The technician to send, optionally at another time; ``version`` is the one last read."""

    __json_input__: ClassVar[bool] = True

    technician_id: int
    scheduled_start: datetime | None = None
    scheduled_end: datetime | None = None
    version: int | None = None


@frozen
class StatusReport:
    """What happened on the visit, and when (default now)."""

    __json_input__: ClassVar[bool] = True

    status: Reported
    report: str | None = field(default=None, metadata=TEXT)
    at: datetime | None = None
    version: int | None = None


@frozen
class WindowInput:
    """Working hours on an ISO weekday (1 Monday to 7 Sunday), ``HH:MM`` local time."""

    __json_input__: ClassVar[bool] = True

    weekday: int = field(metadata={"json": {"minimum": 1, "maximum": 7}})
    starts: str = field(metadata={"json": {"pattern": "^[0-2][0-9]:[0-5][0-9]$", "maxLength": 5}})
    ends: str = field(metadata={"json": {"pattern": "^[0-2][0-9]:[0-5][0-9]$", "maxLength": 5}})


NAME = {"json": {"minLength": 1, "maxLength": NAME_LENGTH, "pattern": "\\S"}}
TERRITORIES = {"maxItems": MAX_TERRITORIES, "items": {"type": "string", "maxLength": 40}}


@frozen
class TechnicianInput:
    """A technician (own staff) or partner firm, the territories they serve and their working hours."""

    __json_input__: ClassVar[bool] = True

    name: str = field(metadata=NAME)
    kind: Literal["technician", "partner"] = "technician"
    user_id: int | None = None
    phone: str | None = text_field(50)
    email: str | None = text_field(320)
    territories: list[str] = field(factory=list, metadata={"json": TERRITORIES})
    time_zone: str | None = text_field(64)
    active: bool = True
    windows: list[WindowInput] = field(factory=list, metadata={"json": {"maxItems": MAX_WINDOWS}})


@frozen
class TechnicianChanges:
    """Changed fields of a technician (those left out keep their value); ``windows`` replaces them all."""

    __json_input__: ClassVar[bool] = True

    name: str = field(default="", metadata=NAME)
    kind: Literal["technician", "partner"] = "technician"
    user_id: int | None = None
    phone: str | None = text_field(50)
    email: str | None = text_field(320)
    territories: list[str] = field(factory=list, metadata={"json": TERRITORIES})
    time_zone: str = field(default="", metadata={"json": {"minLength": 1, "maxLength": 64}})
    active: bool = True
    windows: list[WindowInput] = field(factory=list, metadata={"json": {"maxItems": MAX_WINDOWS}})
    version: int | None = None
