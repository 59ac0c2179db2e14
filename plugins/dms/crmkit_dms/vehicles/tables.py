"""The vehicles part's tables: vehicles, who owns or drives them over time, repair orders.

``(partner_id, ro_number)`` is unique, so a repair order a DMS sends twice is kept once;
orders without a dealer are unique on ``ro_number`` among themselves through
``partner_key`` (0 for none), as NULLs never collide in a unique index.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    UniqueConstraint,
)

from crmkit import Id, JSONType, UTCDateTime, metadata

vehicle = Table(
    "dms_vehicle",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("vin", String(17), nullable=False, unique=True),
    Column("make", String(60)),
    Column("model", String(80)),
    Column("model_year", Integer),
    Column("trim", String(80)),
    Column("fuel", String(30)),
    Column("colour", String(40)),
    Column("first_registration", Date),
    Column("warranty_until", Date),
    Column("mileage", Integer),
    Column("mileage_at", UTCDateTime()),
    # Derived from the repair orders and the mileage (``schedule``), for campaigns' triggers.
    Column("last_service_on", Date),
    Column("last_service_mileage", Integer),
    Column("service_due_on", Date),
    Column("service_due_known_on", Date),
    # The day service_due_on was set: reminders "days before" a due date learnt late (by
    # distance, or from a late DMS message) go out that day, not in the past.
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Index(None, "make", "model"),
    Index(None, "service_due_on"),
    Index(None, "warranty_until"),
    sqlite_autoincrement=True,
)

vehicle_owner = Table(
    "dms_vehicle_owner",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("vehicle_id", Id, ForeignKey("dms_vehicle.id", ondelete="CASCADE"), nullable=False),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False),
    Column("relationship", String(10), nullable=False),
    Column("since", UTCDateTime(), nullable=False),
    Column("until", UTCDateTime()),
    Index(None, "vehicle_id", "relationship"),
    Index(None, "party_id"),
    sqlite_autoincrement=True,
)

repair_order = Table(
    "dms_repair_order",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("vehicle_id", Id, ForeignKey("dms_vehicle.id", ondelete="CASCADE"), nullable=False),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="SET NULL")),
    # None once the party is erased: the vehicle's history stays, anonymous.
    Column("partner_id", Id, ForeignKey("dms_partner.id", ondelete="SET NULL")),
    Column("partner_key", Id, nullable=False),
    # partner_id, or 0 for none: what the uniqueness of ro_number is kept on.
    Column("ro_number", String(40), nullable=False),
    Column("opened_at", UTCDateTime(), nullable=False),
    Column("closed_at", UTCDateTime()),
    Column("mileage", Integer),
    Column("lines", JSONType, nullable=False),
    Column("total", Numeric(14, 2), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("source", String(20), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("partner_key", "ro_number"),
    Index(None, "vehicle_id", "opened_at"),
    Index(None, "party_id"),
    sqlite_autoincrement=True,
)

TABLES: list[Table] = [vehicle, vehicle_owner, repair_order]
