"""Assets customers own, their service contracts and the visits used under them."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from crmkit import Id, UTCDateTime, metadata

asset = Table(
    "service_asset",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False),
    Column("product", String(200), nullable=False),
    Column("serial_number", String(64)),
    Column("vin", String(17)),
    Column("purchase_date", Date),
    Column("warranty_end", Date),
    Column("notes", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    # An asset is told apart by its serial number or its VIN: one of them is always there.
    CheckConstraint("serial_number IS NOT NULL OR vin IS NOT NULL", name="serial_number_or_vin"),
    # One vehicle, one record; a serial number is unique within its product.
    UniqueConstraint("vin"),
    UniqueConstraint("product", "serial_number"),
    Index(None, "party_id"),
    sqlite_autoincrement=True,
)

contract = Table(
    "service_contract",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False),
    # None: the contract covers every asset of the party.
    Column("asset_id", Id, ForeignKey("service_asset.id", ondelete="CASCADE")),
    Column("reference", String(64), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("visits_included", Integer, nullable=False),
    Column("penalty_terms", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    CheckConstraint("ends_on >= starts_on", name="period"),
    CheckConstraint("visits_included >= 0", name="visits_included"),
    Index(None, "party_id", "ends_on"),
    Index(None, "asset_id"),
    sqlite_autoincrement=True,
)

contract_visit = Table(
    "service_contract_visit",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "contract_id", Id, ForeignKey("service_contract.id", ondelete="CASCADE"), nullable=False
    ),
    # The dispatch whose completion used the visit; a dispatch uses at most one.
    Column("dispatch_id", Id, ForeignKey("service_dispatch.id", ondelete="SET NULL")),
    Column("visited_at", UTCDateTime(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("dispatch_id"),
    Index(None, "contract_id"),
    sqlite_autoincrement=True,
)

TABLES = [asset, contract, contract_visit]
