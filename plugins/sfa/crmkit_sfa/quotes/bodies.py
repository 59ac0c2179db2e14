"""The order book's request bodies, declared for the OpenAPI document.

The services check every body themselves, naming the field at fault; these
classes tell clients what to send. Decimal numbers travel as strings. Every
text has a ``maxLength`` and every list a ``maxItems``: reading a body holds it
to them, naming the field.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar, Literal

from attrs import field, frozen

from crmkit_sfa.quotes.catalogue import MAX_PRICES
from crmkit_sfa.quotes.quotations import MAX_LINES

DECIMAL = {"pattern": r"^-?\d+(\.\d+)?$", "maxLength": 40}
CURRENCY = {"pattern": "^[A-Za-z]{3}$", "maxLength": 3}


def _text(limit: int) -> Any:
    return field(default=None, metadata={"json": {"maxLength": limit}})


def _decimal(description: str, default: Any = None) -> Any:
    return field(default=default, metadata={"json": {**DECIMAL, "description": description}})


@frozen
class ProductInput:
    """A product to add; ``tax_rate`` in percent ("19" is 19 %)."""

    __json_input__: ClassVar[bool] = True

    code: str = field(metadata={"json": {"maxLength": 64}})
    name: str = field(metadata={"json": {"maxLength": 200}})
    tax_rate: str = field(metadata={"json": {**DECIMAL, "description": "Percent"}})
    product_group: str | None = field(default=None, metadata={"json": {"maxLength": 64}})
    unit: str = field(default="pc", metadata={"json": {"maxLength": 16}})
    active: bool = True


@frozen
class ProductChange:
    """The fields of a product to change (its code stays)."""

    __json_input__: ClassVar[bool] = True

    name: str | None = _text(200)
    product_group: str | None = _text(64)
    unit: str | None = _text(16)
    tax_rate: str | None = _decimal("Percent")
    active: bool | None = None


@frozen
class PriceInput:
    """A volume tier: ``unit_price`` from ``min_quantity`` on."""

    __json_input__: ClassVar[bool] = True

    product_code: str = field(metadata={"json": {"maxLength": 64}})
    unit_price: str = field(metadata={"json": DECIMAL})
    min_quantity: str = _decimal("The smallest quantity this price applies to", "1")


@frozen
class PriceListInput:
    """A price list: its currency, validity (inclusive, open when left out) and tiers."""

    __json_input__: ClassVar[bool] = True

    name: str = field(metadata={"json": {"maxLength": 200}})
    currency: str = field(metadata={"json": CURRENCY})
    valid_from: date | None = None
    valid_to: date | None = None
    prices: list[PriceInput] = field(factory=list, metadata={"json": {"maxItems": MAX_PRICES}})


@frozen
class LineInput:
    """A quotation line; the unit price comes from the price list when left out."""

    __json_input__: ClassVar[bool] = True

    product_code: str = field(metadata={"json": {"maxLength": 64}})
    quantity: str = field(metadata={"json": DECIMAL})
    unit_price: str | None = _decimal("Overrides the price list")
    discount: str | None = _decimal("Percent", "0")
    tax_rate: str | None = _decimal("Percent; the product's when left out")
    description: str | None = field(default=None, metadata={"json": {"maxLength": 500}})
    requested_date: date | None = None


@frozen
class QuotationInput:
    """A quotation to draft for an opportunity."""

    __json_input__: ClassVar[bool] = True

    opportunity_id: int
    currency: str | None = field(default=None, metadata={"json": CURRENCY})
    price_list_id: int | None = None
    valid_until: date | None = None
    terms: str | None = _text(10_000)
    lines: list[LineInput] = field(factory=list, metadata={"json": {"maxItems": MAX_LINES}})


@frozen
class QuotationChange:
    """Changes to a draft, or to the next version when revising; ``lines`` replaces every line."""

    __json_input__: ClassVar[bool] = True

    price_list_id: int | None = None
    valid_until: date | None = None
    terms: str | None = _text(10_000)
    lines: list[LineInput] | None = field(default=None, metadata={"json": {"maxItems": MAX_LINES}})


@frozen
class ErpStatusInput:
    """What the ERP made of an order, and its number there."""

    __json_input__: ClassVar[bool] = True

    erp_status: Literal["sent", "confirmed", "delivered", "invoiced"]
    erp_reference: str | None = field(default=None, metadata={"json": {"maxLength": 100}})
