"""Technicians and partners, their working windows, and dispatches to a customer's site."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    Time,
)

from crmkit import Id, JSONType, UTCDateTime, metadata

technician = Table(
    "service_technician",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    # "technician" (own staff) or "partner" (a contractor firm).
    Column("kind", String(16), nullable=False),
    Column("user_id", Id, ForeignKey("core_user.id", ondelete="SET NULL")),
    Column("phone", String(32)),
    Column("email", String(320)),
    # Territories as the kernel's users have them (``DE``, ``DE-10``): the region served.
    Column("territories", JSONType, nullable=False),
    Column("time_zone", String(64), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    sqlite_autoincrement=True,
)

working_window = Table(
    "service_working_window",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "technician_id",
        Id,
        ForeignKey("service_technician.id", ondelete="CASCADE"),
        nullable=False,
    ),
    # ISO weekday, 1 (Monday) to 7; times are wall-clock times in the technician's time zone.
    Column("weekday", Integer, nullable=False),
    Column("starts", Time, nullable=False),
    Column("ends", Time, nullable=False),
    CheckConstraint("weekday BETWEEN 1 AND 7", name="weekday"),
    CheckConstraint("ends > starts", name="window"),
    Index(None, "technician_id"),
    sqlite_autoincrement=True,
)

dispatch = Table(
    "service_dispatch",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("case_id", Id, ForeignKey("service_case.id", ondelete="CASCADE"), nullable=False),
    # The case's party, kept here so that visibility, merges and erasure need no join.
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False),
    Column("asset_id", Id, ForeignKey("service_asset.id", ondelete="SET NULL")),
    Column("technician_id", Id, ForeignKey("service_technician.id", ondelete="SET NULL")),
    Column("address", JSONType, nullable=False),
    # The address's territory key (``DE-10117``), matched against technicians' territories.
    Column("territory", String(40), nullable=False),
    Column("urgency", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("scheduled_start", UTCDateTime(), nullable=False),
    Column("scheduled_end", UTCDateTime(), nullable=False),
    Column("instructions", Text, nullable=False),
    Column("report", Text, nullable=False),
    # Entitlement at the time of the dispatch; a contract visit is used when it is done.
    Column("entitlement", String(24), nullable=False),
    Column("contract_id", Id, ForeignKey("service_contract.id", ondelete="SET NULL")),
    Column("billable", Boolean, nullable=False),
    Column("created_by", Id, ForeignKey("core_user.id", ondelete="SET NULL")),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("dispatched_at", UTCDateTime()),
    Column("on_site_at", UTCDateTime()),
    Column("done_at", UTCDateTime()),
    Column("cancelled_at", UTCDateTime()),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    CheckConstraint("scheduled_end > scheduled_start", name="slot"),
    Index(None, "case_id"),
    Index(None, "party_id"),
    # A technician's busy slots; the open dispatches of a region.
    Index(None, "technician_id", "status", "scheduled_start"),
    Index(None, "status", "territory"),
    sqlite_autoincrement=True,
)

TABLES = [technician, working_window, dispatch]
