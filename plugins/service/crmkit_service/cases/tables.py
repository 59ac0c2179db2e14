"""Cases, their events and links, and the category tree."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from crmkit import Id, JSONType, UTCDateTime, metadata

category = Table(
    "service_category",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("parent_id", Id, ForeignKey("service_category.id", ondelete="RESTRICT")),
    Column("name", String(100), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("parent_id", "name"),
    sqlite_autoincrement=True,
)
"""A tree: a category with ``parent_id`` NULL is a root. A category in use cannot be deleted."""

case = Table(
    "service_case",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("description", Text, nullable=False),
    Column("category_id", Id, ForeignKey("service_category.id", ondelete="RESTRICT")),
    Column("product", String(200)),
    # The asset is a row of the assets part's table, created in a later revision; its own
    # erasure and merge hooks keep the two in step.
    Column("asset_id", Id),
    Column("priority", String(10), nullable=False),
    Column("severity", String(10)),
    Column("channel", String(10), nullable=False),
    Column("owner_id", Id, ForeignKey("core_user.id")),
    Column("team", String(100)),
    Column("status", String(30), nullable=False),
    Column("root_cause", String(200)),
    Column("resolution", Text),
    Column("merged_into_id", Id, ForeignKey("service_case.id", ondelete="SET NULL")),
    Column("entitlement_state", String(20), nullable=False),
    Column("entitlement_summary", String(300), nullable=False),
    Column("billable", Boolean, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("first_response_at", UTCDateTime()),
    Column("resolved_at", UTCDateTime()),
    Column("closed_at", UTCDateTime()),
    Column("version", Integer, nullable=False),
    # An agent's and a team's work lists, a party's cases, and the trends (a period's cases
    # grouped by category, product or root cause read from the index alone).
    Index(None, "owner_id", "status"),
    Index(None, "team", "status"),
    Index(None, "party_id", "status"),
    Index("ix_service_case_trend", "created_at", "category_id", "product", "root_cause"),
    Index(None, "merged_into_id"),
    sqlite_autoincrement=True,
)

case_event = Table(
    "service_case_event",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("case_id", Id, ForeignKey("service_case.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("public", Boolean, nullable=False),
    Column("body", Text),
    Column("data", JSONType, nullable=False),
    Column("author_id", Id, ForeignKey("core_user.id")),
    # The email a public reply was sent as: a customer's answer to it comes back to the case.
    Column("email_id", Id, ForeignKey("channels_email.id", ondelete="SET NULL")),
    # The inbound email this event was made from: one message never makes two events.
    Column("inbound_email_id", Id, ForeignKey("channels_inbound_email.id", ondelete="SET NULL")),
    Column("created_at", UTCDateTime(), nullable=False),
    Index(None, "case_id", "id"),
    Index(None, "email_id"),
    Index(None, "inbound_email_id", unique=True),
    sqlite_autoincrement=True,
)

case_link = Table(
    "service_case_link",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("case_id", Id, ForeignKey("service_case.id", ondelete="CASCADE"), nullable=False),
    Column("other_id", Id, ForeignKey("service_case.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("created_by", Id, ForeignKey("core_user.id")),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("case_id", "other_id"),
    Index(None, "other_id"),
    sqlite_autoincrement=True,
)
"""A link between two cases, stored once (``case_id`` < ``other_id``), read from both ends."""
