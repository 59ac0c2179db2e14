"""The profiles part's table: one RFM profile per customer, rebuilt by the profiles job."""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Integer, SmallInteger, String, Table

from crmkit import Id, JSONType, UTCDateTime, metadata

profile = Table(
    "analytics_profile",
    metadata,
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), primary_key=True),
    Column("recency_days", Float, nullable=False),
    Column("frequency", Integer, nullable=False),
    Column("monetary", Float, nullable=False),
    Column("r_score", SmallInteger, nullable=False),
    Column("f_score", SmallInteger, nullable=False),
    Column("m_score", SmallInteger, nullable=False),
    Column("band", String(20), nullable=False, index=True),
    # Buying patterns: product groups by spend (most first), the months (1..12) they buy in,
    # the channel most of their orders came through.
    Column("top_groups", JSONType, nullable=False),
    Column("months", JSONType, nullable=False),
    Column("preferred_channel", String(40)),
    Column("last_purchase_at", UTCDateTime(), nullable=False),
    Column("last_contact_at", UTCDateTime()),
    Column("computed_at", UTCDateTime(), nullable=False),
)

TABLES = [profile]
