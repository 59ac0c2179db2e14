"""Partners: create, read, change, delete; the users who work for them.

Every change names the partner ``version`` it read (a change made meanwhile is a 409), every
refusal names the field and stores nothing, and every change leaves an audit entry.
A partner's organisation is a kernel party (an organisation customer), so that the
partner shows in the CRM like any account: one is created with the partner unless the
request names an existing organisation party.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, delete, exists, insert, select, update

from crmkit import (
    EXTERNAL_ROLE,
    ConflictError,
    Customer,
    NotFound,
    PostalAddress,
    Transaction,
    ValidationError,
    check_fields,
    create_party,
    get_party,
    read_choice,
    read_id,
    read_text,
    read_time_zone,
    read_whole_number,
    record_audit,
    user_table,
    utcnow,
)
from crmkit_dms.partners.model import (
    Partner,
    get_partner,
    normal_brand,
    normal_postcode,
    partner_of_row,
)
from crmkit_dms.partners.tables import KINDS, partner, partner_brand, partner_region, partner_user
from crmkit_dms.routing.tables import assignment

ENTITY = "dms.partner"
MAX_BRANDS = 50
MAX_REGIONS = 2000
MAX_CAPACITY = 100_000
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_INTERVALS = 4
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
COUNTRY = re.compile(r"[A-Z]{2}")
PREFIX = re.compile(r"[A-Z0-9]{0,12}")
LOCAL_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]|24:00")
SCALARS = (
    "code",
    "name",
    "kind",
    "capacity_per_day",
    "opening_hours",
    "time_zone",
    "active",
    "accepts_fallback",
)
CHANGEABLE = (*SCALARS, "brands", "regions")
FIELDS = (*CHANGEABLE, "party_id")
DEFAULT_TIME_ZONE = "Europe/Berlin"


@frozen
class Region:
    """A country, and the postcodes starting with ``postcode_prefix`` ("" for all of it)."""

    country: str
    postcode_prefix: str


@frozen
class PartnerUser:
    """A CRM user who works for the partner."""

    user_id: int
    username: str
    display_name: str
    active: bool
    added_at: datetime


@frozen
class PartnerDetail:
    """A partner with its regions and users."""

    partner: Partner
    regions: tuple[Region, ...]
    users: tuple[PartnerUser, ...]


# --- Reading


def require_partner(conn: Connection, partner_id: int) -> Partner:
    """The partner; NotFound if there is none."""
    found = get_partner(conn, partner_id)
    if found is None:
        raise NotFound(f"partner {partner_id} does not exist")
    return found


def list_partners(conn: Connection, *, active: bool | None = None) -> list[Partner]:
    """Every partner (or the active or inactive ones), by code."""
    query = select(partner).order_by(partner.c.code)
    if active is not None:
        query = query.where(partner.c.active.is_(active))
    rows = conn.execute(query).all()
    brands: dict[int, list[str]] = {}
    for row in conn.execute(select(partner_brand).order_by(partner_brand.c.brand)):
        brands.setdefault(row.partner_id, []).append(row.brand)
    return [partner_of_row(row, tuple(brands.get(row.id, ()))) for row in rows]


def regions_of(conn: Connection, partner_id: int) -> tuple[Region, ...]:
    rows = conn.execute(
        select(partner_region.c.country, partner_region.c.postcode_prefix)
        .where(partner_region.c.partner_id == partner_id)
        .order_by(partner_region.c.country, partner_region.c.postcode_prefix)
    )
    return tuple(Region(row.country, row.postcode_prefix) for row in rows)


def users_of(conn: Connection, partner_id: int) -> tuple[PartnerUser, ...]:
    rows = conn.execute(
        select(user_table, partner_user.c.added_at)
        .join(partner_user, partner_user.c.user_id == user_table.c.id)
        .where(partner_user.c.partner_id == partner_id)
        .order_by(user_table.c.username)
    )
    return tuple(
        PartnerUser(row.id, row.username, row.display_name, row.active, row.added_at)
        for row in rows
    )


def partner_detail(conn: Connection, partner_id: int) -> PartnerDetail:
    """The partner with its regions and users; NotFound if there is none."""
    return PartnerDetail(
        require_partner(conn, partner_id), regions_of(conn, partner_id), users_of(conn, partner_id)
    )


# --- Reading input


def _code(value: Any) -> str:
    text = read_text("code", value, limit=40, required=True)
    if text is None or not CODE.fullmatch(text):
        raise ValidationError("code", "expected 1 to 40 letters, digits, '.', '_' or '-'")
    return text


def _boolean(field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(field, "expected true or false")
    return value


def _brands(value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_BRANDS:
        raise ValidationError("brands", f"expected a list of at most {MAX_BRANDS} brands")
    found: list[str] = []
    for index, brand in enumerate(value):
        text = read_text(f"brands[{index}]", brand, limit=60, required=True)
        assert text is not None
        if normal_brand(text) not in found:
            found.append(normal_brand(text))
    return found


def _country(where: str, value: Any) -> str:
    """An ISO 3166 alpha-2 code the kernel knows for addresses, upper case: a typo such as
    ``DX`` would make a region no lead's address ever falls in."""
    if isinstance(value, str) and COUNTRY.fullmatch(value.upper()):
        try:
            known = PostalAddress(country=value).country
        except ValidationError:
            known = None
        if known is not None:
            return known
    raise ValidationError(where, "expected an ISO 3166 country code: DE")


def _regions(value: Any) -> list[Region]:
    if not isinstance(value, list) or len(value) > MAX_REGIONS:
        raise ValidationError("regions", f"expected a list of at most {MAX_REGIONS} regions")
    found: list[Region] = []
    for index, item in enumerate(value):
        where = f"regions[{index}]"
        if not isinstance(item, dict):
            raise ValidationError(where, "expected an object with country and postcode_prefix")
        check_fields(item, ("country", "postcode_prefix"), prefix=f"{where}.")
        country = _country(f"{where}.country", item.get("country"))
        raw = item.get("postcode_prefix") or ""
        prefix = normal_postcode(raw) if isinstance(raw, str) else None
        if prefix is None or not PREFIX.fullmatch(prefix):
            raise ValidationError(
                f"{where}.postcode_prefix", "expected up to 12 letters and digits, or empty"
            )
        region = Region(country, prefix)
        if region not in found:
            found.append(region)
    return found


def _opening_hours(value: Any) -> dict[str, list[list[str]]]:
    if not isinstance(value, dict):
        raise ValidationError("opening_hours", "expected an object: weekday -> [[from, to], ...]")
    check_fields(value, WEEKDAYS, prefix="opening_hours.")
    found: dict[str, list[list[str]]] = {}
    for day in WEEKDAYS:
        intervals = value.get(day) or []
        where = f"opening_hours.{day}"
        if not isinstance(intervals, list) or len(intervals) > MAX_INTERVALS:
            raise ValidationError(where, f"expected at most {MAX_INTERVALS} [from, to] pairs")
        last = "00:00"
        kept: list[list[str]] = []
        for pair in intervals:
            if (
                not isinstance(pair, list)
                or len(pair) != 2
                or not all(isinstance(t, str) and LOCAL_TIME.fullmatch(t) for t in pair)
            ):
                raise ValidationError(where, 'expected pairs of local times: ["08:00", "18:00"]')
            if not last <= pair[0] < pair[1]:
                raise ValidationError(where, "expected increasing, non-overlapping times")
            last = pair[1]
            kept.append([pair[0], pair[1]])
        if kept:
            found[day] = kept
    if value and not found:
        # A day left out is closed, so this would be a partner never open to accept a lead.
        raise ValidationError(
            "opening_hours", "no open hour in the week: give none at all for always open"
        )
    return found


def _scalars(data: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "code" in data:
        values["code"] = _code(data["code"])
    if "name" in data:
        values["name"] = read_text("name", data["name"], limit=200, required=True)
    if "kind" in data:
        values["kind"] = read_choice("kind", data["kind"], KINDS)
    if "capacity_per_day" in data:
        capacity = data["capacity_per_day"]
        values["capacity_per_day"] = (
            None
            if capacity is None
            else read_whole_number("capacity_per_day", capacity, maximum=MAX_CAPACITY)
        )
    if "opening_hours" in data:
        values["opening_hours"] = _opening_hours(data["opening_hours"])
    if "time_zone" in data:
        values["time_zone"] = read_time_zone("time_zone", data["time_zone"])
    for flag in ("active", "accepts_fallback"):
        if flag in data:
            values[flag] = _boolean(flag, data[flag])
    return values


def _code_free(conn: Connection, code: str, partner_id: int | None) -> None:
    taken = select(partner.c.id).where(partner.c.code == code)
    if partner_id is not None:
        taken = taken.where(partner.c.id != partner_id)
    if conn.execute(taken).first() is not None:
        raise ValidationError("code", f"{code!r} is taken by another partner")


def _organisation(tx: Transaction, data: Mapping[str, Any], name: str) -> int:
    """The partner's organisation party: the one named, or a new organisation customer."""
    if data.get("party_id") is None:
        created = create_party(tx, Customer(kind="organisation", organisation_name=name))
        assert created.id is not None
        return created.id
    party_id = read_id("party_id", data["party_id"])
    try:
        found = get_party(tx.conn, party_id)
    except NotFound:
        found = None
    if found is None or found.kind != "organisation":
        raise ValidationError("party_id", "expected an organisation party")
    if tx.conn.execute(select(partner.c.id).where(partner.c.party_id == party_id)).first():
        raise ValidationError("party_id", "is already another partner's organisation")
    return party_id


def _store_children(
    tx: Transaction, partner_id: int, brands: list[str] | None, regions: list[Region] | None
) -> None:
    if brands is not None:
        tx.conn.execute(delete(partner_brand).where(partner_brand.c.partner_id == partner_id))
        if brands:
            tx.conn.execute(
                insert(partner_brand), [{"partner_id": partner_id, "brand": b} for b in brands]
            )
    if regions is not None:
        tx.conn.execute(delete(partner_region).where(partner_region.c.partner_id == partner_id))
        if regions:
            tx.conn.execute(
                insert(partner_region),
                [
                    {
                        "partner_id": partner_id,
                        "country": r.country,
                        "postcode_prefix": r.postcode_prefix,
                    }
                    for r in regions
                ],
            )


# --- Changing


def create_partner(tx: Transaction, data: Mapping[str, Any]) -> PartnerDetail:
    """A new partner from ``data`` (``code``, ``name`` and ``kind`` required)."""
    check_fields(data, FIELDS)
    for required in ("code", "name", "kind"):
        if required not in data:
            raise ValidationError(required, "is required")
    values = _scalars(data)
    brands = _brands(data.get("brands", []))
    regions = _regions(data.get("regions", []))
    _code_free(tx.conn, values["code"], None)
    now = utcnow()
    row = {
        "capacity_per_day": None,
        "opening_hours": {},
        "time_zone": DEFAULT_TIME_ZONE,
        "active": True,
        "accepts_fallback": False,
        **values,
        "party_id": _organisation(tx, data, values["name"]),
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }
    partner_id = tx.conn.execute(insert(partner).returning(partner.c.id), row).scalar_one()
    _store_children(tx, partner_id, brands, regions)
    record_audit(
        tx,
        ENTITY,
        partner_id,
        "created",
        {"code": [None, row["code"]], "name": [None, row["name"]], "kind": [None, row["kind"]]},
    )
    return partner_detail(tx.conn, partner_id)


def required_version(version: int | None) -> int:
    if version is None:
        raise ValidationError("version", "is required: the version last read")
    return version


def update_partner(
    tx: Transaction, partner_id: int, data: Mapping[str, Any], version: int | None
) -> PartnerDetail:
    """Change the partner if it is still at ``version``; ``brands`` and ``regions`` are
    replaced whole when given."""
    current = require_partner(tx.conn, partner_id)
    expected = required_version(version)
    check_fields(data, CHANGEABLE)
    values = _scalars(data)
    brands = _brands(data["brands"]) if "brands" in data else None
    regions = _regions(data["regions"]) if "regions" in data else None
    if "code" in values:
        _code_free(tx.conn, values["code"], partner_id)
    changed = tx.conn.execute(
        update(partner)
        .where(partner.c.id == partner_id, partner.c.version == expected)
        .values(**values, updated_at=utcnow(), version=partner.c.version + 1)
    ).rowcount
    if changed != 1:
        raise ConflictError(
            f"partner {partner_id} was changed meanwhile (version {current.version})"
        )
    _store_children(tx, partner_id, brands, regions)
    changes: dict[str, list[Any]] = {
        key: [getattr(current, key), value]
        for key, value in values.items()
        if getattr(current, key) != value
    }
    if brands is not None:
        changes["brands"] = [list(current.brands), brands]
    if regions is not None:
        changes["regions"] = [None, f"{len(regions)} regions"]
    record_audit(tx, ENTITY, partner_id, "updated", changes)
    return partner_detail(tx.conn, partner_id)


def delete_partner(tx: Transaction, partner_id: int, version: int | None) -> None:
    """Delete a partner that was never offered a lead (one that was is deactivated instead,
    keeping its figures); its organisation party stays."""
    current = require_partner(tx.conn, partner_id)
    expected = required_version(version)
    offered = tx.conn.execute(
        select(exists().where(assignment.c.partner_id == partner_id))
    ).scalar_one()
    if offered:
        raise ConflictError(
            f"partner {partner_id} was offered leads: deactivate it (active: false) instead"
        )
    gone = tx.conn.execute(
        delete(partner).where(partner.c.id == partner_id, partner.c.version == expected)
    ).rowcount
    if gone != 1:
        raise ConflictError(
            f"partner {partner_id} was changed meanwhile (version {current.version})"
        )
    record_audit(tx, ENTITY, partner_id, "deleted", {"code": [current.code, None]})


def add_partner_user(tx: Transaction, partner_id: int, data: Mapping[str, Any]) -> PartnerUser:
    """Link a user of the ``partner`` role to the partner; they then see its leads only."""
    require_partner(tx.conn, partner_id)
    check_fields(data, ("user_id",))
    user_id = read_id("user_id", data.get("user_id"))
    found = tx.conn.execute(select(user_table).where(user_table.c.id == user_id)).first()
    if found is None:
        raise ValidationError("user_id", f"user {user_id} does not exist")
    if found.role != EXTERNAL_ROLE:
        # A staff user linked to a dealer would keep seeing what their role lets them see.
        raise ValidationError(
            "user_id",
            f"expected a user of the {EXTERNAL_ROLE!r} role, {found.username} is {found.role}",
        )
    linked = tx.conn.execute(
        select(partner_user.c.partner_id).where(partner_user.c.user_id == user_id)
    ).scalar()
    if linked is not None:
        raise ValidationError("user_id", f"{found.username} already works for partner {linked}")
    tx.conn.execute(
        insert(partner_user), {"user_id": user_id, "partner_id": partner_id, "added_at": utcnow()}
    )
    record_audit(tx, ENTITY, partner_id, "updated", {"users": [None, f"+{found.username}"]})
    return next(u for u in users_of(tx.conn, partner_id) if u.user_id == user_id)


def remove_partner_user(tx: Transaction, partner_id: int, user_id: int) -> None:
    """Unlink the user from the partner: from then on they see nothing."""
    require_partner(tx.conn, partner_id)
    gone = tx.conn.execute(
        delete(partner_user).where(
            partner_user.c.partner_id == partner_id, partner_user.c.user_id == user_id
        )
    ).rowcount
    if gone != 1:
        raise NotFound(f"user {user_id} does not work for partner {partner_id}")
    record_audit(tx, ENTITY, partner_id, "updated", {"users": [f"-{user_id}", None]})
