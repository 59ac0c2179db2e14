"""What the vehicles part hands to the other parts and to the API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from attrs import frozen

RELATIONSHIPS = ("owner", "driver", "lessee")
PAYERS = ("customer", "warranty", "internal")


@frozen
class Vehicle:
    """One physical vehicle, known by its VIN."""

    id: int
    vin: str
    make: str | None
    model: str | None
    model_year: int | None
    trim: str | None
    fuel: str | None
    colour: str | None
    first_registration: date | None
    warranty_until: date | None
    mileage: int | None
    mileage_at: datetime | None
    last_service_on: date | None
    last_service_mileage: int | None
    service_due_on: date | None
    """When the next service is due: by time since the last one, or sooner by distance."""
    service_due_known_on: date | None
    """The day ``service_due_on`` was set."""
    created_at: datetime
    updated_at: datetime
    version: int


@frozen
class Ownership:
    """A party's relationship to a vehicle over a period (``until`` None: still so)."""

    id: int
    vehicle_id: int
    party_id: int
    relationship: str
    since: datetime
    until: datetime | None


@frozen
class RepairLine:
    """One operation of a repair order and who pays for it."""

    op_code: str | None
    description: str
    labour: Decimal
    parts: Decimal
    payer: str
    """customer, warranty or internal."""

    def as_json(self) -> dict[str, str | None]:
        """As kept in ``dms_repair_order.lines``."""
        return {
            "op_code": self.op_code,
            "description": self.description,
            "labour": str(self.labour),
            "parts": str(self.parts),
            "payer": self.payer,
        }


@frozen
class RepairOrder:
    """A workshop visit of a vehicle, as the dealer's DMS reported it."""

    id: int
    vehicle_id: int
    party_id: int | None
    partner_id: int | None
    ro_number: str
    opened_at: datetime
    closed_at: datetime | None
    mileage: int | None
    lines: tuple[RepairLine, ...]
    total: Decimal
    currency: str
    source: str
    created_at: datetime


@frozen
class VehicleInterest:
    """The vehicle a lead asks about: interest data kept with the lead, never an asset.

    ``data`` is JSON-ready (keys among year, make, model, trim, vin, status, odometer,
    price, currency, colour, comments); ``problems`` lists what was dropped and why
    (e.g. an invalid VIN), for the caller to keep as intake findings.
    """

    data: dict[str, Any]
    problems: tuple[str, ...]
