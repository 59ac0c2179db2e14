"""Assets a customer owns and the service contracts that cover them: recording, changing, reading.

The functions take the transaction or connection of the caller, who has checked
that its actor may see the party (:mod:`crmkit_service.assets.access`). Every
change is in the audit trail (``service.asset``, ``service.contract``) with the
fields that decide an entitlement; serial numbers and VINs stay out of it.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Mapping
from datetime import MAXYEAR, date, datetime
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, func, insert, select

from crmkit import (
    NotFound,
    Transaction,
    ValidationError,
    check_fields,
    get_party,
    read_date,
    read_id,
    read_text,
    read_vin,
    read_whole_number,
    record_audit,
    utcnow,
)
from crmkit_service import fields, versions
from crmkit_service.assets.identifiers import read_serial_number
from crmkit_service.assets.tables import asset, contract, contract_visit

PRODUCT_LENGTH = 200
NOTES_LENGTH = 4000
REFERENCE_LENGTH = 64
TERMS_LENGTH = 4000
MAX_VISITS = 10_000

ASSET_FIELDS = (
    "party_id",
    "product",
    "serial_number",
    "vin",
    "purchase_date",
    "warranty_end",
    "notes",
)
CONTRACT_FIELDS = (
    "party_id",
    "asset_id",
    "reference",
    "starts_on",
    "ends_on",
    "visits_included",
    "penalty_terms",
)
AUDITED_ASSET = ("product", "purchase_date", "warranty_end")
AUDITED_CONTRACT = ("asset_id", "reference", "starts_on", "ends_on", "visits_included")


@frozen
class Asset:
    """A product a customer owns, told apart by its serial number or VIN."""

    id: int
    party_id: int
    product: str
    serial_number: str | None
    vin: str | None
    purchase_date: date | None
    warranty_end: date | None
    notes: str
    created_at: datetime
    updated_at: datetime
    version: int


@frozen
class Contract:
    """A service contract: a period, the visits it includes and how many are used."""

    id: int
    party_id: int
    asset_id: int | None
    """None: it covers every asset of the party."""
    reference: str
    starts_on: date
    ends_on: date
    visits_included: int
    visits_used: int
    penalty_terms: str
    created_at: datetime
    updated_at: datetime
    version: int


def _customer_id(conn: Connection, data: Mapping[str, Any]) -> int:
    """The ``party_id`` of a new asset or contract: a customer's (a prospect owns nothing yet)."""
    party_id = read_id("party_id", data.get("party_id"))
    try:
        party = get_party(conn, party_id)
    except NotFound:
        raise ValidationError("party_id", f"party {party_id} does not exist") from None
    if party.role != "customer":
        raise ValidationError("party_id", "is a prospect: assets and contracts are a customer's")
    return party_id


def _day(name: str, value: Any) -> date | None:
    return None if value is None or value == "" else read_date(name, value)


def _optional(name: str, value: Any, reader: Any) -> Any:
    return None if value is None or value == "" else reader(name, value)


def asset_of(row: Any) -> Asset:
    """The asset of a ``service_asset`` row."""
    return Asset(**{a.name: row._mapping[a.name] for a in Asset.__attrs_attrs__})


def _asset_values(data: Mapping[str, Any], settings_months: int | None) -> dict[str, Any]:
    """The columns of an asset from ``data`` (all of its fields), validated together."""
    values: dict[str, Any] = {
        "product": fields.required_text("product", data.get("product"), limit=PRODUCT_LENGTH),
        "serial_number": _optional("serial_number", data.get("serial_number"), read_serial_number),
        "vin": _optional("vin", data.get("vin"), lambda name, value: read_vin(name, value).text),
        "purchase_date": _day("purchase_date", data.get("purchase_date")),
        "warranty_end": _day("warranty_end", data.get("warranty_end")),
        "notes": read_text("notes", data.get("notes"), limit=NOTES_LENGTH) or "",
    }
    if values["serial_number"] is None and values["vin"] is None:
        raise ValidationError("serial_number", "give a serial number or a VIN")
    bought, ends = values["purchase_date"], values["warranty_end"]
    if ends is None and bought is not None and settings_months:
        values["warranty_end"] = _add_months(bought, settings_months)
    elif ends is not None and bought is not None and ends < bought:
        raise ValidationError("warranty_end", "ends before the purchase date")
    return values


def _add_months(day: date, months: int) -> date:
    """The same day ``months`` later; the month's last day when it has no such day."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    if year > MAXYEAR:
        raise ValidationError("purchase_date", "the warranty would end after the year 9999")
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def _check_unique(tx: Transaction, values: Mapping[str, Any], asset_id: int | None) -> None:
    """Refuse a VIN, or a product's serial number, that another asset already has."""
    # Held until the asset is stored, so that the same number posted twice at once is
    # refused here like the second of two in a row, not by the unique index.
    names = []
    if values["vin"] is not None:
        names.append(f"service.asset.vin:{values['vin']}")
    if values["serial_number"] is not None:
        names.append(f"service.asset.serial:{values['product']}:{values['serial_number']}")
    tx.hold(*names)
    conn = tx.conn
    others = [] if asset_id is None else [asset.c.id != asset_id]
    if values["vin"] is not None:
        taken = conn.execute(
            select(asset.c.id).where(asset.c.vin == values["vin"], *others)
        ).first()
        if taken is not None:
            raise ValidationError("vin", "another asset has this VIN")
    if values["serial_number"] is not None:
        taken = conn.execute(
            select(asset.c.id).where(
                asset.c.product == values["product"],
                asset.c.serial_number == values["serial_number"],
                *others,
            )
        ).first()
        if taken is not None:
            raise ValidationError("serial_number", "another asset of this product has it")


def create_asset(
    tx: Transaction, data: Mapping[str, Any], *, warranty_months: int | None = None
) -> Asset:
    """Record an asset of ``data["party_id"]``; ``warranty_months`` derives a missing warranty end."""
    check_fields(data, ASSET_FIELDS)
    party_id = _customer_id(tx.conn, data)
    values = _asset_values(data, warranty_months)
    _check_unique(tx, values, None)
    now = utcnow()
    row = tx.conn.execute(
        insert(asset)
        .values(party_id=party_id, created_at=now, updated_at=now, version=1, **values)
        .returning(*asset.c)
    ).one()
    created = asset_of(row)
    record_audit(tx, "service.asset", created.id, "created", _audited(None, created, AUDITED_ASSET))
    return created


def get_asset(conn: Connection, asset_id: int) -> Asset:
    row = conn.execute(select(asset).where(asset.c.id == asset_id)).one_or_none()
    if row is None:
        raise NotFound(f"asset {asset_id} does not exist")
    return asset_of(row)


def assets_of_party(conn: Connection, party_id: int) -> list[Asset]:
    """The party's assets, by product then id."""
    rows = conn.execute(
        select(asset).where(asset.c.party_id == party_id).order_by(asset.c.product, asset.c.id)
    )
    return [asset_of(row) for row in rows]


def update_asset(
    tx: Transaction,
    asset_id: int,
    data: Mapping[str, Any],
    version: int | None,
    *,
    warranty_months: int | None = None,
) -> Asset:
    """Change the fields ``data`` names (not the party); ``version`` is the one last read."""
    check_fields(data, tuple(f for f in ASSET_FIELDS if f != "party_id"))
    current = get_asset(tx.conn, asset_id)
    merged = {
        **{name: getattr(current, name) for name in ASSET_FIELDS if name != "party_id"},
        **data,
    }
    values = _asset_values(_as_input(merged), warranty_months)
    _check_unique(tx, values, asset_id)
    changed = _write(tx, asset, asset_id, current.version, version, values)
    updated = asset_of(changed)
    record_audit(
        tx, "service.asset", asset_id, "updated", _audited(current, updated, AUDITED_ASSET)
    )
    return updated


def _as_input(values: Mapping[str, Any]) -> dict[str, Any]:
    """Stored dates as the ISO text an input holds, so that one validation reads both."""
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def _write(
    tx: Transaction,
    table: Any,
    record_id: int,
    current_version: int,
    version: int | None,
    values: Mapping[str, Any],
) -> Any:
    """Update the row if it is still at ``version`` (the current one when None)."""
    what = f"{table.name.removeprefix('service_')} {record_id}"
    versions.check_version(what, current_version, version)
    return versions.update_versioned(tx, table, what, record_id, current_version, values)


def _audited(before: Any, after: Any, names: tuple[str, ...]) -> dict[str, list[Any]]:
    def plain(value: Any) -> Any:
        return value.isoformat() if isinstance(value, date) else value

    return {
        name: [
            None if before is None else plain(getattr(before, name)),
            plain(getattr(after, name)),
        ]
        for name in names
        if before is None or getattr(before, name) != getattr(after, name)
    }


# --- Contracts


def contract_of(row: Any) -> Contract:
    """The contract of a ``service_contract`` row with a ``visits_used`` column."""
    return Contract(**{a.name: row._mapping[a.name] for a in Contract.__attrs_attrs__})


def _visits_used() -> Any:
    return (
        select(func.count())
        .where(contract_visit.c.contract_id == contract.c.id)
        .scalar_subquery()
        .label("visits_used")
    )


def _contract_values(conn: Connection, party_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    asset_id = _optional("asset_id", data.get("asset_id"), read_id)
    if asset_id is not None:
        owner = conn.execute(select(asset.c.party_id).where(asset.c.id == asset_id)).scalar()
        if owner != party_id:
            raise ValidationError("asset_id", "is not an asset of this customer")
    starts, ends = data.get("starts_on"), data.get("ends_on")
    if starts is None or starts == "":
        raise ValidationError("starts_on", "required")
    if ends is None or ends == "":
        raise ValidationError("ends_on", "required")
    values: dict[str, Any] = {
        "asset_id": asset_id,
        "reference": fields.required_text(
            "reference", data.get("reference"), limit=REFERENCE_LENGTH
        ),
        "starts_on": read_date("starts_on", starts),
        "ends_on": read_date("ends_on", ends),
        "visits_included": read_whole_number(
            "visits_included", data.get("visits_included"), maximum=MAX_VISITS
        ),
        "penalty_terms": read_text("penalty_terms", data.get("penalty_terms"), limit=TERMS_LENGTH)
        or "",
    }
    if values["ends_on"] < values["starts_on"]:
        raise ValidationError("ends_on", "before starts_on")
    return values


def create_contract(tx: Transaction, data: Mapping[str, Any]) -> Contract:
    """Record a service contract of ``data["party_id"]`` (for one of its assets, or all of them)."""
    check_fields(data, CONTRACT_FIELDS)
    party_id = _customer_id(tx.conn, data)
    values = _contract_values(tx.conn, party_id, data)
    now = utcnow()
    contract_id = tx.conn.execute(
        insert(contract)
        .values(party_id=party_id, created_at=now, updated_at=now, version=1, **values)
        .returning(contract.c.id)
    ).scalar_one()
    created = get_contract(tx.conn, contract_id)
    record_audit(
        tx, "service.contract", contract_id, "created", _audited(None, created, AUDITED_CONTRACT)
    )
    return created


def get_contract(conn: Connection, contract_id: int) -> Contract:
    row = conn.execute(
        select(contract, _visits_used()).where(contract.c.id == contract_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"contract {contract_id} does not exist")
    return contract_of(row)


def contracts_of_party(conn: Connection, party_id: int) -> list[Contract]:
    """The party's contracts, latest ending first."""
    rows = conn.execute(
        select(contract, _visits_used())
        .where(contract.c.party_id == party_id)
        .order_by(contract.c.ends_on.desc(), contract.c.id.desc())
    )
    return [contract_of(row) for row in rows]


def update_contract(
    tx: Transaction, contract_id: int, data: Mapping[str, Any], version: int | None
) -> Contract:
    """Change the fields ``data`` names (not the party); fewer visits than used are refused."""
    check_fields(data, tuple(f for f in CONTRACT_FIELDS if f != "party_id"))
    current = get_contract(tx.conn, contract_id)
    # The visits used are counted again once held: a visit being settled may take one.
    tx.hold(visits_lock(current.party_id))
    current = get_contract(tx.conn, contract_id)
    merged = {name: getattr(current, name) for name in CONTRACT_FIELDS if name != "party_id"}
    values = _contract_values(tx.conn, current.party_id, _as_input({**merged, **data}))
    if values["visits_included"] < current.visits_used:
        raise ValidationError("visits_included", f"{current.visits_used} visits are used already")
    _write(tx, contract, contract_id, current.version, version, values)
    updated = get_contract(tx.conn, contract_id)
    record_audit(
        tx,
        "service.contract",
        contract_id,
        "updated",
        _audited(current, updated, AUDITED_CONTRACT),
    )
    return updated


def visits_lock(party_id: int) -> str:
    """The name held (``Transaction.hold``) while the party's contract visits are counted and taken."""
    return f"service.contract_visits:{party_id}"


def use_visit(
    tx: Transaction, contract_id: int, dispatch_id: int | None, visited_at: datetime
) -> None:
    """Count a visit done under the contract: of a dispatch (once per dispatch), or None recorded by hand."""
    tx.conn.execute(
        insert(contract_visit).values(
            contract_id=contract_id,
            dispatch_id=dispatch_id,
            visited_at=visited_at,
            created_at=utcnow(),
        )
    )
