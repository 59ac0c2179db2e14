"""The JSON request bodies of the vehicles part's routes, as the OpenAPI document describes them.

The service validates what arrives (naming the wrong field); these classes tell clients what
to send. Amounts are decimal numbers written as text ("12.50"), moments ISO 8601 with offset.
"""

from __future__ import annotations

from typing import ClassVar

from attrs import field, frozen

VIN = {"minLength": 17, "maxLength": 40}


@frozen
class VehicleInput:
    """A vehicle by VIN: made when unknown, else updated with the fields given."""

    __json_input__: ClassVar[bool] = True

    vin: str = field(metadata={"json": VIN})
    market: str | None = field(default=None, metadata={"json": {"maxLength": 2}})
    make: str | None = None
    model: str | None = None
    model_year: int | None = None
    trim: str | None = None
    fuel: str | None = None
    colour: str | None = None
    first_registration: str | None = field(default=None, metadata={"json": {"format": "date"}})
    warranty_until: str | None = field(default=None, metadata={"json": {"format": "date"}})
    mileage: int | None = field(default=None, metadata={"json": {"minimum": 0}})
    mileage_at: str | None = field(default=None, metadata={"json": {"format": "date-time"}})


@frozen
class OwnerInput:
    """A party becomes the vehicle's owner, driver or lessee from a moment on."""

    __json_input__: ClassVar[bool] = True

    party_id: int
    since: str = field(metadata={"json": {"format": "date-time"}})
    relationship: str = field(
        default="owner", metadata={"json": {"enum": ["owner", "driver", "lessee"]}}
    )


@frozen
class RepairLineInput:
    """One operation of a repair order."""

    __json_input__: ClassVar[bool] = True

    description: str
    op_code: str | None = None
    labour: str = "0"
    parts: str = "0"
    payer: str = field(
        default="customer", metadata={"json": {"enum": ["customer", "warranty", "internal"]}}
    )


@frozen
class RepairOrderInput:
    """A repair order; sent again with the same partner_id and ro_number, it changes nothing."""

    __json_input__: ClassVar[bool] = True

    vin: str = field(metadata={"json": VIN})
    ro_number: str = field(metadata={"json": {"minLength": 1, "maxLength": 40}})
    opened_at: str = field(metadata={"json": {"format": "date-time"}})
    partner_id: int | None = None
    party_id: int | None = None
    closed_at: str | None = field(default=None, metadata={"json": {"format": "date-time"}})
    mileage: int | None = field(default=None, metadata={"json": {"minimum": 0}})
    lines: list[RepairLineInput] = field(factory=list)
    total: str | None = None
    currency: str | None = None
    source: str = "api"
    market: str | None = None
    make: str | None = None
    model: str | None = None
    model_year: int | None = None
