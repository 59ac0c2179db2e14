"""The JSON request bodies of the partner routes, as the OpenAPI document describes them.

The service validates what arrives (naming the wrong place, ``regions[3].country``); these
classes tell clients what to send.
"""

from __future__ import annotations

from typing import Any, ClassVar

from attrs import field, frozen

from crmkit_dms.partners.service import MAX_BRANDS, MAX_CAPACITY, MAX_REGIONS
from crmkit_dms.partners.tables import KINDS

CODE = {"json": {"pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$", "maxLength": 40}}
NAME = {"json": {"minLength": 1, "maxLength": 200}}
KIND = {"json": {"enum": list(KINDS)}}
CAPACITY = {"json": {"minimum": 0, "maximum": MAX_CAPACITY}}
TIME_ZONE = {"json": {"maxLength": 64, "description": "An IANA time zone: Europe/Berlin"}}
BRANDS = {"json": {"maxItems": MAX_BRANDS, "items": {"type": "string", "maxLength": 60}}}
REGIONS = {
    "json": {
        "maxItems": MAX_REGIONS,
        "items": {
            "type": "object",
            "properties": {
                "country": {"type": "string", "pattern": "^[A-Za-z]{2}$", "maxLength": 2},
                "postcode_prefix": {"type": "string", "maxLength": 12},
            },
            "required": ["country"],
        },
    }
}
HOURS = {
    "json": {
        "description": 'weekday (mon..sun) -> up to 4 [from, to] local times: [["08:00", "18:00"]]',
        "maxProperties": 7,
    }
}


@frozen
class PartnerInput:
    """A new partner; without ``party_id`` an organisation customer is created for it."""

    __json_input__: ClassVar[bool] = True

    code: str = field(metadata=CODE)
    name: str = field(metadata=NAME)
    kind: str = field(metadata=KIND)
    party_id: int | None = None
    brands: list[str] | None = field(default=None, metadata=BRANDS)
    regions: list[dict[str, Any]] | None = field(default=None, metadata=REGIONS)
    capacity_per_day: int | None = field(default=None, metadata=CAPACITY)
    opening_hours: dict[str, Any] | None = field(default=None, metadata=HOURS)
    time_zone: str | None = field(default=None, metadata=TIME_ZONE)
    active: bool | None = None
    accepts_fallback: bool | None = None


@frozen
class PartnerChanges:
    """Changed fields of a partner (``brands`` and ``regions`` replace the lists whole);
    ``version`` (the partner's, last read) is required."""

    __json_input__: ClassVar[bool] = True

    version: int
    code: str | None = field(default=None, metadata=CODE)
    name: str | None = field(default=None, metadata=NAME)
    kind: str | None = field(default=None, metadata=KIND)
    brands: list[str] | None = field(default=None, metadata=BRANDS)
    regions: list[dict[str, Any]] | None = field(default=None, metadata=REGIONS)
    capacity_per_day: int | None = field(default=None, metadata=CAPACITY)
    opening_hours: dict[str, Any] | None = field(default=None, metadata=HOURS)
    time_zone: str | None = field(default=None, metadata=TIME_ZONE)
    active: bool | None = None
    accepts_fallback: bool | None = None


@frozen
class PartnerUserInput:
    """A user of the ``partner`` role to link to the partner."""

    __json_input__: ClassVar[bool] = True

    user_id: int
