"""The JSON request bodies of the asset and contract routes, as the OpenAPI document describes them.

The services validate what arrives (naming the wrong field); these classes tell
clients what to send, and every text's ``maxLength`` is held to on reading.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from attrs import field, frozen

from crmkit_service.assets.service import (
    MAX_VISITS,
    NOTES_LENGTH,
    PRODUCT_LENGTH,
    REFERENCE_LENGTH,
    TERMS_LENGTH,
)
from crmkit_service.web import text_field

SERIAL = {"json": {"maxLength": 64, "pattern": "^[A-Za-z0-9][A-Za-z0-9 ./_-]*$"}}
VIN = {
    "json": {
        "maxLength": 20,
        "pattern": "^[A-HJ-NPR-Za-hj-npr-z0-9 ]+$",
        "description": "17 letters and digits without I, O, Q; North American ones with their check digit",
    }
}
PRODUCT = {"json": {"minLength": 1, "maxLength": PRODUCT_LENGTH, "pattern": "\\S"}}
REFERENCE = {"json": {"minLength": 1, "maxLength": REFERENCE_LENGTH, "pattern": "\\S"}}
VISITS = {"json": {"minimum": 0, "maximum": MAX_VISITS}}


@frozen
class AssetInput:
    """A new asset of a customer: a serial number, a VIN or both."""

    __json_input__: ClassVar[bool] = True

    party_id: int
    product: str = field(metadata=PRODUCT)
    serial_number: str | None = field(default=None, metadata=SERIAL)
    vin: str | None = field(default=None, metadata=VIN)
    purchase_date: date | None = None
    warranty_end: date | None = None
    notes: str | None = text_field(NOTES_LENGTH)


@frozen
class AssetChanges:
    """Changed fields of an asset (those left out keep their value); ``version`` is the one last read."""

    __json_input__: ClassVar[bool] = True

    product: str = field(default="", metadata=PRODUCT)
    serial_number: str | None = field(default=None, metadata=SERIAL)
    vin: str | None = field(default=None, metadata=VIN)
    purchase_date: date | None = None
    warranty_end: date | None = None
    notes: str | None = text_field(NOTES_LENGTH)
    version: int | None = None


@frozen
class ContractInput:
    """A new service contract: for one asset of the customer, or (no ``asset_id``) for all."""

    __json_input__: ClassVar[bool] = True

    party_id: int
    reference: str = field(metadata=REFERENCE)
    starts_on: date
    ends_on: date
    visits_included: int = field(metadata=VISITS)
    asset_id: int | None = None
    penalty_terms: str | None = text_field(TERMS_LENGTH)


@frozen
class ContractChanges:
    """Changed fields of a contract (those left out keep their value); ``version`` is the one last read."""

    __json_input__: ClassVar[bool] = True

    reference: str = field(default="", metadata=REFERENCE)
    starts_on: date = date.min
    ends_on: date = date.max
    visits_included: int = field(default=0, metadata=VISITS)
    asset_id: int | None = None
    penalty_terms: str | None = text_field(TERMS_LENGTH)
    version: int | None = None
