"""Vehicles, owners over time and repair orders: what the other parts call.

Every function works in the caller's transaction; nothing here commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from crmkit import (
    NotFound,
    Transaction,
    ValidationError,
    Vin,
    check_fields,
    read_choice,
    read_currency,
    read_date,
    read_decimal,
    read_id,
    read_text,
    read_timestamp,
    read_vin,
    read_whole_number,
    seen_party,
    utcnow,
)
from crmkit_dms.vehicles import reading, schedule, timeline
from crmkit_dms.vehicles.model import (
    PAYERS,
    RELATIONSHIPS,
    Ownership,
    RepairLine,
    RepairOrder,
    Vehicle,
    VehicleInterest,
)
from crmkit_dms.vehicles.settings import VehiclesSettings
from crmkit_dms.vehicles.tables import repair_order, vehicle, vehicle_owner

VEHICLE_FIELDS = (
    "vin",
    "market",
    "make",
    "model",
    "model_year",
    "trim",
    "fuel",
    "colour",
    "first_registration",
    "warranty_until",
    "mileage",
    "mileage_at",
)
REPAIR_ORDER_FIELDS = (
    "vin",
    "market",
    "make",
    "model",
    "model_year",
    "ro_number",
    "partner_id",
    "party_id",
    "opened_at",
    "closed_at",
    "mileage",
    "lines",
    "total",
    "currency",
    "source",
)
LINE_FIELDS = ("op_code", "description", "labour", "parts", "payer")
MAX_MILEAGE = 5_000_000
MAX_LINES = 500
MAX_AMOUNT = Decimal("999999999999.99")
INTEREST_FIELDS = (
    "year",
    "make",
    "model",
    "trim",
    "vin",
    "status",
    "odometer",
    "price",
    "currency",
    "colour",
    "comments",
)


def settings_of(tx: Transaction) -> VehiclesSettings:
    """The part's settings in the CRM of ``tx`` (the defaults outside one)."""
    if tx.app is None:
        return VehiclesSettings()
    found: VehiclesSettings = tx.app.settings_of["dms"].vehicles
    return found


def _model_year(vin: Vin, given: Any) -> int | None:
    """The model year: position 10 of a North American VIN (the law there, 49 CFR 565; a
    year given must agree, up to its 30-year cycle), else the one given. Elsewhere
    position 10 is often no year code, so the year given stands."""
    year = (
        None
        if given is None
        else read_whole_number("model_year", given, minimum=1900, maximum=2100)
    )
    coded = vin.model_year if vin.country is not None else None
    if coded is None:
        return year
    if year is None:
        return coded
    if (year - coded) % 30:
        raise ValidationError(
            "model_year", f"{year} is not the VIN's model year {coded} (position 10)"
        )
    return year


def _described(data: Mapping[str, Any], markets: tuple[str, ...]) -> dict[str, Any]:
    """The vehicle columns ``data`` gives, checked (vin always)."""
    market = read_text("market", data.get("market"), limit=2)
    vin = read_vin(
        "vin",
        read_text("vin", data.get("vin"), limit=40, required=True),
        market=market,
        check_digit_markets=markets,
    )
    checked: dict[str, Any] = {"vin": vin.text}
    for name, limit in (("make", 60), ("model", 80), ("trim", 80), ("fuel", 30), ("colour", 40)):
        if name in data:
            checked[name] = read_text(name, data[name], limit=limit)
    year = _model_year(vin, data.get("model_year"))
    if year is not None:
        checked["model_year"] = year
    for name in ("first_registration", "warranty_until"):
        if data.get(name) is not None:
            checked[name] = read_date(name, data[name])
    if data.get("mileage") is not None:
        checked["mileage"] = read_whole_number(
            "mileage", data["mileage"], minimum=0, maximum=MAX_MILEAGE
        )
        at = data.get("mileage_at")
        checked["mileage_at"] = utcnow() if at is None else read_timestamp("mileage_at", at)
    return checked


def upsert_vehicle(tx: Transaction, data: Mapping[str, Any]) -> Vehicle:
    """The vehicle of ``data["vin"]`` (checked: ``ValidationError("vin", ...)``), made or
    updated with the other keys given (make, model, model_year, trim, fuel, colour,
    first_registration, warranty_until, mileage, mileage_at; absent keys keep their value;
    ``market``: the ISO country of sale for the VIN check). A lower mileage than the one
    known is ignored (odometers do not run backwards). Idempotent."""
    check_fields(data, VEHICLE_FIELDS)
    settings = settings_of(tx)
    checked = _described(data, settings.check_digit_markets)
    return _upsert(tx, checked, settings)


def _upsert(tx: Transaction, checked: dict[str, Any], settings: VehiclesSettings) -> Vehicle:
    now = utcnow()
    dialect = postgresql if tx.conn.dialect.name == "postgresql" else sqlite
    # Made or found in one statement, so two DMS messages about a new car at once make one.
    made = tx.conn.execute(
        dialect.insert(vehicle)
        .values(**checked, created_at=now, updated_at=now, version=1)
        .on_conflict_do_nothing(index_elements=["vin"])
        .returning(vehicle)
    ).one_or_none()
    if made is not None:
        if made.first_registration is None:
            return reading.vehicle_from(made)
        schedule.reschedule(tx, made.id, settings)
        return get_vehicle(tx.conn, made.id)
    current = tx.conn.execute(
        select(vehicle).where(vehicle.c.vin == checked["vin"]).with_for_update()
    ).one()
    changes = {
        name: value
        for name, value in checked.items()
        if name not in ("vin", "mileage", "mileage_at") and getattr(current, name) != value
    }
    mileage = checked.get("mileage")
    if mileage is not None and (current.mileage is None or mileage > current.mileage):
        changes.update(mileage=mileage, mileage_at=checked["mileage_at"])
    if not changes:
        return reading.vehicle_from(current)
    tx.conn.execute(
        update(vehicle)
        .where(vehicle.c.id == current.id)
        .values(**changes, updated_at=now, version=vehicle.c.version + 1)
    )
    schedule.reschedule(tx, current.id, settings)
    return get_vehicle(tx.conn, current.id)


def set_owner(
    tx: Transaction,
    vehicle_id: int,
    party_id: int,
    since: datetime | str,
    relationship: str = "owner",
) -> Ownership:
    """``party_id`` is the vehicle's ``relationship`` (owner, driver, lessee) from ``since``:
    the previous holder of that relationship is closed at ``since``. The same party again
    changes nothing. Refuses a party ``tx.actor`` does not see (NotFound)."""
    read_choice("relationship", relationship, RELATIONSHIPS)
    moment = read_timestamp("since", since)
    seen_party(tx.hooks, tx.conn, tx.actor, party_id)
    get_vehicle(tx.conn, vehicle_id, for_update=True)
    holding = tx.conn.execute(
        select(vehicle_owner).where(
            vehicle_owner.c.vehicle_id == vehicle_id,
            vehicle_owner.c.relationship == relationship,
            vehicle_owner.c.until.is_(None),
        )
    ).all()
    for held in holding:
        if held.party_id == party_id:
            return reading.ownership_from(held)
        if held.since > moment:
            raise ValidationError(
                "since", f"the current {relationship} holds it since {held.since.isoformat()}"
            )
    tx.conn.execute(
        update(vehicle_owner)
        .where(vehicle_owner.c.id.in_([held.id for held in holding]))
        .values(until=moment)
    )
    made = tx.conn.execute(
        vehicle_owner.insert()
        .values(vehicle_id=vehicle_id, party_id=party_id, relationship=relationship, since=moment)
        .returning(vehicle_owner)
    ).one()
    return reading.ownership_from(made)


def _line(index: int, value: Any) -> RepairLine:
    where = f"lines[{index}]."
    if not isinstance(value, Mapping):
        raise ValidationError(f"lines[{index}]", "expected an object")
    check_fields(value, LINE_FIELDS, prefix=where)

    def amount(name: str) -> Decimal:
        raw = value.get(name, "0")
        return read_decimal(where + name, raw, places=2, minimum=-MAX_AMOUNT, maximum=MAX_AMOUNT)

    return RepairLine(
        op_code=read_text(where + "op_code", value.get("op_code"), limit=40),
        description=read_text(
            where + "description", value.get("description"), limit=500, required=True
        )
        or "",
        labour=amount("labour"),
        parts=amount("parts"),
        payer=read_choice(where + "payer", value.get("payer", "customer"), PAYERS),
    )


def record_repair_order(tx: Transaction, data: Mapping[str, Any]) -> RepairOrder:
    """A repair order from a DMS: ``vin`` (the vehicle is made when unknown, with make /
    model / model_year when given), ``ro_number``, ``partner_id`` (the dealer, may be None),
    ``party_id`` (may be None), ``opened_at``, ``closed_at``, ``mileage``, ``lines`` (each
    ``op_code``, ``description``, ``labour``, ``parts``, ``payer`` customer/warranty/
    internal), ``total`` (default: the lines' sum), ``currency``, ``source`` (star/api/...).

    Idempotent on (partner_id, ro_number): the same order sent again returns the stored
    one and changes nothing (no second event). The mileage moves the vehicle's odometer.
    Emits ``dms.repair_order_recorded`` once and puts the visit on the party's timeline."""
    return repair_order_recording(tx, data)[0]


def repair_order_recording(tx: Transaction, data: Mapping[str, Any]) -> tuple[RepairOrder, bool]:
    """As ``record_repair_order``, and whether this call recorded it (False: sent before)."""
    check_fields(data, REPAIR_ORDER_FIELDS)
    settings = settings_of(tx)
    ro_number = read_text("ro_number", data.get("ro_number"), limit=40, required=True) or ""
    partner_id = (
        None if data.get("partner_id") is None else read_id("partner_id", data["partner_id"])
    )
    party_id = None if data.get("party_id") is None else read_id("party_id", data["party_id"])
    opened_at = read_timestamp("opened_at", data.get("opened_at"))
    closed_at = (
        None if data.get("closed_at") is None else read_timestamp("closed_at", data["closed_at"])
    )
    if closed_at is not None and closed_at < opened_at:
        raise ValidationError("closed_at", "is before opened_at")
    mileage = (
        None
        if data.get("mileage") is None
        else read_whole_number("mileage", data["mileage"], minimum=0, maximum=MAX_MILEAGE)
    )
    raw_lines = data.get("lines", [])
    if not isinstance(raw_lines, list) or len(raw_lines) > MAX_LINES:
        raise ValidationError("lines", f"expected a list of at most {MAX_LINES} lines")
    lines = tuple(_line(index, value) for index, value in enumerate(raw_lines))
    summed = sum((line.labour + line.parts for line in lines), Decimal("0.00"))
    total = (
        summed
        if data.get("total") is None
        else read_decimal("total", data["total"], places=2, minimum=-MAX_AMOUNT, maximum=MAX_AMOUNT)
    )
    currency = read_currency("currency", data.get("currency", settings.default_currency))
    source = read_text("source", data.get("source", "api"), limit=20, required=True) or ""
    described = _described(
        {key: data[key] for key in ("vin", "market", "make", "model", "model_year") if key in data},
        settings.check_digit_markets,
    )
    if party_id is not None:
        seen_party(tx.hooks, tx.conn, tx.actor, party_id)
    if partner_id is not None:
        reading.check_partner(tx, partner_id)
    partner_key = partner_id or 0
    stored = _stored_order(tx.conn, partner_key, ro_number)
    if stored is not None:
        return stored, False
    car = _upsert(tx, described, settings)
    now = utcnow()
    dialect = postgresql if tx.conn.dialect.name == "postgresql" else sqlite
    made = tx.conn.execute(
        dialect.insert(repair_order)
        .values(
            vehicle_id=car.id,
            party_id=party_id,
            partner_id=partner_id,
            partner_key=partner_key,
            ro_number=ro_number,
            opened_at=opened_at,
            closed_at=closed_at,
            mileage=mileage,
            lines=[line.as_json() for line in lines],
            total=total,
            currency=currency,
            source=source,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["partner_key", "ro_number"])
        .returning(repair_order.c.id)
    ).scalar_one_or_none()
    if made is None:  # recorded by a concurrent transaction a moment ago
        again = _stored_order(tx.conn, partner_key, ro_number)
        assert again is not None
        return again, False
    _visited(tx, car, (closed_at or opened_at), mileage, settings)
    tx.emit(
        "dms.repair_order_recorded",
        "dms.repair_order",
        made,
        {
            "repair_order_id": made,
            "vehicle_id": car.id,
            "party_id": party_id,
            "partner_id": partner_id,
            "ro_number": ro_number,
        },
    )
    recorded = get_repair_order(tx.conn, made)
    if party_id is not None:
        timeline.log_visit(tx, recorded, car)
    return recorded, True


def _visited(
    tx: Transaction,
    car: Vehicle,
    when: datetime,
    mileage: int | None,
    settings: VehiclesSettings,
) -> None:
    """A workshop visit moves the odometer and, when it is the latest, the service schedule."""
    if mileage is not None:
        _upsert(tx, {"vin": car.vin, "mileage": mileage, "mileage_at": when}, settings)
    day = when.date()
    if car.last_service_on is None or day >= car.last_service_on:
        tx.conn.execute(
            update(vehicle)
            .where(vehicle.c.id == car.id)
            .values(last_service_on=day, last_service_mileage=mileage)
        )
    schedule.reschedule(tx, car.id, settings)


def _stored_order(conn: Connection, partner_key: int, ro_number: str) -> RepairOrder | None:
    row = conn.execute(
        select(repair_order).where(
            repair_order.c.partner_key == partner_key, repair_order.c.ro_number == ro_number
        )
    ).one_or_none()
    return None if row is None else reading.repair_order_from(row)


def vehicle_of_interest(data: Mapping[str, Any], *, market: str | None = None) -> VehicleInterest:
    """A lead's vehicle of interest (e.g. an ADF ``<vehicle>``: year, make, model, trim,
    vin, status new/used, odometer, price, currency, colour, comments) cleaned for keeping
    with the lead (routing's ``dms_assignment.vehicle``). It is NOT made a ``dms_vehicle``:
    a car someone asks about is not theirs. Unknown keys, an invalid VIN, year, odometer or
    price are dropped and named in ``problems`` (the lead is kept)."""
    kept: dict[str, Any] = {}
    problems: list[str] = []
    for name in sorted(set(data) - set(INTEREST_FIELDS)):
        problems.append(f"{name}: not a vehicle of interest field, dropped")
    for name in INTEREST_FIELDS:
        value = data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        try:
            kept[name] = _interest_value(name, value, market)
        except ValidationError as refused:
            problems.append(f"{refused.field}: {refused.reason}")
    return VehicleInterest(data=kept, problems=tuple(problems))


def _interest_value(name: str, value: Any, market: str | None) -> Any:
    text = str(value).strip() if isinstance(value, str | int) else value
    if name == "vin":
        return read_vin("vin", read_text("vin", text, limit=40), market=market).text
    if name == "year":
        return read_whole_number("year", _number(text), minimum=1900, maximum=2100)
    if name == "odometer":
        return read_whole_number("odometer", _number(text), minimum=0, maximum=MAX_MILEAGE)
    if name == "price":
        return str(read_decimal("price", text, places=2, minimum=Decimal(0), maximum=MAX_AMOUNT))
    if name == "status":
        return read_choice("status", str(text).lower(), ("new", "used"))
    if name == "currency":
        return read_currency("currency", str(text).upper())
    return read_text(name, text, limit=1000 if name == "comments" else 80)


def _number(text: Any) -> Any:
    return int(text) if isinstance(text, str) and text.isdigit() and len(text) < 10 else text


def get_vehicle(conn: Connection, vehicle_id: int, *, for_update: bool = False) -> Vehicle:
    """The vehicle; NotFound when there is none."""
    query = select(vehicle).where(vehicle.c.id == vehicle_id)
    row = conn.execute(query.with_for_update() if for_update else query).one_or_none()
    if row is None:
        raise NotFound(f"vehicle {vehicle_id} does not exist")
    return reading.vehicle_from(row)


def vehicle_by_vin(conn: Connection, vin: str) -> Vehicle | None:
    """The vehicle with this VIN (spaces and dashes dropped, upper-cased), or None."""
    cleaned = "".join(vin.split()).replace("-", "").upper()
    row = conn.execute(select(vehicle).where(vehicle.c.vin == cleaned)).one_or_none()
    return None if row is None else reading.vehicle_from(row)


def get_repair_order(conn: Connection, repair_order_id: int) -> RepairOrder:
    """The repair order; NotFound when there is none."""
    row = conn.execute(
        select(repair_order).where(repair_order.c.id == repair_order_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"repair order {repair_order_id} does not exist")
    return reading.repair_order_from(row)
