"""Products and price lists: what can be quoted, and at which unit price for a quantity on a day."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, and_, delete, insert, or_, select, update

from crmkit import ConflictError, NotFound, Transaction, ValidationError, utcnow
from crmkit_sfa.pipeline import fields as common
from crmkit_sfa.quotes import fields
from crmkit_sfa.quotes.money import MAX_AMOUNT, trimmed
from crmkit_sfa.quotes.tables import price_list, price_list_item, product

PRODUCT_FIELDS = ("code", "name", "product_group", "unit", "tax_rate", "active")
PRICE_LIST_FIELDS = ("name", "currency", "valid_from", "valid_to", "prices")
PRICE_FIELDS = ("product_code", "min_quantity", "unit_price")
MAX_PRICES = 2000
"""The most tiers a price list has: replacing it checks and writes every one in one request."""


@frozen
class Product:
    """Something that can be sold; ``tax_rate`` in percent, the default of quotation lines."""

    id: int
    code: str
    name: str
    product_group: str | None
    unit: str
    tax_rate: Decimal
    active: bool
    created_at: datetime
    updated_at: datetime


@frozen
class Price:
    """A volume tier: ``unit_price`` applies from ``min_quantity`` up to the next tier."""

    product_id: int
    product_code: str
    min_quantity: Decimal
    unit_price: Decimal


@frozen
class PriceList:
    """Unit prices in one currency, valid from ``valid_from`` to ``valid_to`` (both inclusive, open when None)."""

    id: int
    name: str
    currency: str
    valid_from: date | None
    valid_to: date | None
    prices: tuple[Price, ...]
    created_at: datetime

    def is_valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


def _product(row: Any) -> Product:
    return Product(
        id=row.id,
        code=row.code,
        name=row.name,
        product_group=row.product_group,
        unit=row.unit,
        tax_rate=row.tax_rate,
        active=row.active,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _product_values(data: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if creating or "name" in data:
        values["name"] = common.text("name", data.get("name"), limit=200, required=True)
    if "product_group" in data:
        values["product_group"] = common.text("product_group", data.get("product_group"), limit=64)
    if creating or "unit" in data:
        values["unit"] = common.text("unit", data.get("unit"), limit=16) or "pc"
    if creating or "tax_rate" in data:
        rate = fields.decimal(data, "tax_rate", places=2, minimum=Decimal(0), maximum=Decimal(100))
        if rate is None:
            raise ValidationError("tax_rate", 'required, in percent, e.g. "19"')
        values["tax_rate"] = rate
    if creating or "active" in data:
        active = data.get("active", True)
        if not isinstance(active, bool):
            raise ValidationError("active", f"expected true or false, got {active!r}")
        values["active"] = active
    return values


def create_product(tx: Transaction, data: Mapping[str, Any]) -> Product:
    """Add the product ``data`` describes (untrusted: an API body); its code must be new."""
    fields.only(data, PRODUCT_FIELDS)
    code = common.text("code", data.get("code"), limit=64, required=True)
    values = _product_values(data, creating=True)
    if tx.conn.execute(select(product.c.id).where(product.c.code == code)).first():
        raise ConflictError(f"a product with the code {code!r} exists")
    now = utcnow()
    new_id = tx.conn.execute(
        insert(product)
        .values(code=code, created_at=now, updated_at=now, **values)
        .returning(product.c.id)
    ).scalar_one()
    return get_product(tx.conn, new_id)


def update_product(tx: Transaction, product_id: int, data: Mapping[str, Any]) -> Product:
    """Change a product's name, group, unit, tax rate or active flag; its code stays (orders keep it).

    Values the product has already change nothing: it comes back as it is.
    """
    fields.only(data, tuple(f for f in PRODUCT_FIELDS if f != "code"))
    current = get_product(tx.conn, product_id)
    values = common.changes(current, _product_values(data, creating=False))
    if not values:
        return current
    tx.conn.execute(
        update(product).where(product.c.id == product_id).values(updated_at=utcnow(), **values)
    )
    return get_product(tx.conn, product_id)


def get_product(conn: Connection, product_id: int) -> Product:
    row = conn.execute(select(product).where(product.c.id == product_id)).first()
    if row is None:
        raise NotFound(f"no product {product_id}")
    return _product(row)


def products_by_code(conn: Connection, codes: Sequence[str]) -> dict[str, Product]:
    """The products with these codes, by code (unknown codes are left out)."""
    rows = conn.execute(select(product).where(product.c.code.in_(set(codes))))
    return {row.code: _product(row) for row in rows}


def list_products(
    conn: Connection, *, group: str | None = None, include_inactive: bool = False
) -> list[Product]:
    """The catalogue by code, optionally one product group only."""
    query = select(product).order_by(product.c.code)
    if group is not None:
        query = query.where(product.c.product_group == group)
    if not include_inactive:
        query = query.where(product.c.active.is_(True))
    return [_product(row) for row in conn.execute(query)]


def _price_list_values(
    tx: Transaction, data: Mapping[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    fields.only(data, PRICE_LIST_FIELDS)
    name = common.text("name", data.get("name"), limit=200, required=True)
    if data.get("currency") is None:
        raise ValidationError("currency", "required")
    currency = common.currency(data["currency"])
    valid_from = common.day("valid_from", data.get("valid_from"))
    valid_to = common.day("valid_to", data.get("valid_to"))
    if valid_from and valid_to and valid_to < valid_from:
        raise ValidationError("valid_to", "before valid_from")
    given = data.get("prices", [])
    if not isinstance(given, list):
        raise ValidationError("prices", "expected a list")
    if len(given) > MAX_PRICES:
        raise ValidationError("prices", f"more than {MAX_PRICES} items")
    codes = [p.get("product_code") for p in given if isinstance(p, dict)]
    known = products_by_code(tx.conn, [c for c in codes if isinstance(c, str)])
    prices: list[dict[str, Any]] = []
    tiers: set[tuple[int, Decimal]] = set()
    for i, item in enumerate(given):
        where = f"prices[{i}]."
        if not isinstance(item, dict):
            raise ValidationError(f"prices[{i}]", "expected an object")
        fields.only(item, PRICE_FIELDS, where)
        code = common.text(
            f"{where}product_code", item.get("product_code"), limit=64, required=True
        )
        if code not in known:
            raise ValidationError(f"{where}product_code", f"no product with the code {code!r}")
        minimum = fields.decimal(
            item,
            "min_quantity",
            places=3,
            minimum=Decimal(0),
            maximum=MAX_AMOUNT,
            where=where,
            exclusive_minimum=True,
        )
        unit_price = fields.decimal(
            item, "unit_price", places=4, minimum=Decimal(0), maximum=MAX_AMOUNT, where=where
        )
        if unit_price is None:
            raise ValidationError(f"{where}unit_price", "required")
        tier = (known[code].id, minimum or Decimal(1))
        if tier in tiers:
            raise ValidationError(f"{where}min_quantity", f"{code} has this tier twice")
        tiers.add(tier)
        prices.append({"product_id": tier[0], "min_quantity": tier[1], "unit_price": unit_price})
    values = {"name": name, "currency": currency, "valid_from": valid_from, "valid_to": valid_to}
    return values, prices


def create_price_list(tx: Transaction, data: Mapping[str, Any]) -> PriceList:
    """Add a price list with its volume tiers: ``{"name", "currency", "valid_from", "valid_to", "prices": [...]}``."""
    values, prices = _price_list_values(tx, data)
    new_id = tx.conn.execute(
        insert(price_list).values(created_at=utcnow(), **values).returning(price_list.c.id)
    ).scalar_one()
    if prices:
        tx.conn.execute(insert(price_list_item), [{"price_list_id": new_id, **p} for p in prices])
    return get_price_list(tx.conn, new_id)


def replace_price_list(tx: Transaction, price_list_id: int, data: Mapping[str, Any]) -> PriceList:
    """Replace a price list's name, currency, validity and every tier; quotations already priced keep their prices."""
    get_price_list(tx.conn, price_list_id)
    values, prices = _price_list_values(tx, data)
    tx.conn.execute(update(price_list).where(price_list.c.id == price_list_id).values(**values))
    tx.conn.execute(delete(price_list_item).where(price_list_item.c.price_list_id == price_list_id))
    if prices:
        tx.conn.execute(
            insert(price_list_item), [{"price_list_id": price_list_id, **p} for p in prices]
        )
    return get_price_list(tx.conn, price_list_id)


def _prices(conn: Connection, price_list_ids: Sequence[int]) -> dict[int, list[Price]]:
    rows = conn.execute(
        select(price_list_item, product.c.code)
        .join(product, product.c.id == price_list_item.c.product_id)
        .where(price_list_item.c.price_list_id.in_(price_list_ids))
        .order_by(product.c.code, price_list_item.c.min_quantity)
    )
    found: dict[int, list[Price]] = {i: [] for i in price_list_ids}
    for row in rows:
        found[row.price_list_id].append(
            Price(row.product_id, row.code, trimmed(row.min_quantity), trimmed(row.unit_price))
        )
    return found


def _price_list(row: Any, prices: list[Price]) -> PriceList:
    return PriceList(
        id=row.id,
        name=row.name,
        currency=row.currency,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        prices=tuple(prices),
        created_at=row.created_at,
    )


def get_price_list(conn: Connection, price_list_id: int) -> PriceList:
    row = conn.execute(select(price_list).where(price_list.c.id == price_list_id)).first()
    if row is None:
        raise NotFound(f"no price list {price_list_id}")
    return _price_list(row, _prices(conn, [row.id])[row.id])


def list_price_lists(conn: Connection, *, valid_on: date | None = None) -> list[PriceList]:
    """Every price list by name, or those valid on ``valid_on``."""
    query = select(price_list).order_by(price_list.c.name, price_list.c.id)
    if valid_on is not None:
        query = query.where(
            or_(price_list.c.valid_from.is_(None), price_list.c.valid_from <= valid_on),
            or_(price_list.c.valid_to.is_(None), price_list.c.valid_to >= valid_on),
        )
    rows = conn.execute(query).all()
    prices = _prices(conn, [row.id for row in rows])
    return [_price_list(row, prices[row.id]) for row in rows]


def unit_price(
    conn: Connection, price_list_id: int, product_id: int, quantity: Decimal
) -> Decimal | None:
    """The price of the highest volume tier ``quantity`` reaches, None when the list has no tier for it."""
    return conn.execute(
        select(price_list_item.c.unit_price)
        .where(
            and_(
                price_list_item.c.price_list_id == price_list_id,
                price_list_item.c.product_id == product_id,
                price_list_item.c.min_quantity <= quantity,
            )
        )
        .order_by(price_list_item.c.min_quantity.desc())
        .limit(1)
    ).scalar_one_or_none()
