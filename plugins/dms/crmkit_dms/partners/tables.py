"""The partners part's tables: partner organisations, the brands they sell, the regions
they cover, and the CRM users who work for them."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from crmkit import Id, JSONType, UTCDateTime, metadata

KINDS = ("dealer", "distributor", "reseller", "agent")

partner = Table(
    "dms_partner",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # The partner's organisation party, so that a partner shows in the CRM like any account.
    Column("party_id", Id, ForeignKey("core_party.id"), nullable=False, unique=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("capacity_per_day", Integer),
    # weekday ("mon".."sun") -> list of [opening, closing] local times ("08:00", "18:00")
    Column("opening_hours", JSONType, nullable=False),
    Column("time_zone", String(64), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("accepts_fallback", Boolean, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    sqlite_autoincrement=True,
)

partner_brand = Table(
    "dms_partner_brand",
    metadata,
    Column("partner_id", Id, ForeignKey("dms_partner.id", ondelete="CASCADE"), primary_key=True),
    # Stored case-folded, so that "VW" from a lead finds a partner listed as "vw".
    Column("brand", String(60), primary_key=True),
)

partner_region = Table(
    "dms_partner_region",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("partner_id", Id, ForeignKey("dms_partner.id", ondelete="CASCADE"), nullable=False),
    Column("country", String(2), nullable=False),
    # Upper-cased without spaces; "" covers the whole country.
    Column("postcode_prefix", String(12), nullable=False),
    UniqueConstraint("partner_id", "country", "postcode_prefix"),
    sqlite_autoincrement=True,
)

partner_user = Table(
    "dms_partner_user",
    metadata,
    Column("user_id", Id, ForeignKey("core_user.id", ondelete="CASCADE"), primary_key=True),
    Column("partner_id", Id, ForeignKey("dms_partner.id", ondelete="CASCADE"), nullable=False),
    Column("added_at", UTCDateTime(), nullable=False),
)

TABLES = [partner, partner_brand, partner_region, partner_user]
