"""The portal's tables: sign-in links, sessions, link requests (for rate limits), attachments, ratings.

Tokens are never stored, only their SHA-256: a copy of the database signs nobody in.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from crmkit import Id, UTCDateTime, metadata

HASH_LENGTH = 64
"""A SHA-256 (or HMAC-SHA-256) in hexadecimal."""

portal_link = Table(
    "service_portal_link",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(HASH_LENGTH), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("used_at", UTCDateTime()),
    Index(None, "party_id"),
    Index(None, "expires_at"),
    sqlite_autoincrement=True,
)

portal_session = Table(
    "service_portal_session",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(HASH_LENGTH), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime()),
    Index(None, "party_id"),
    Index(None, "expires_at"),
    sqlite_autoincrement=True,
)

link_request = Table(
    "service_portal_link_request",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # Keyed, not plain: rows of addresses that belong to nobody must not list them.
    Column("address_key", String(HASH_LENGTH), nullable=False),
    Column("client", String(64), nullable=False),
    Column("requested_at", UTCDateTime(), nullable=False),
    Index(None, "address_key", "requested_at"),
    Index(None, "client", "requested_at"),
    Index(None, "requested_at"),
    sqlite_autoincrement=True,
)

attachment = Table(
    "service_attachment",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("case_id", Id, ForeignKey("service_case.id", ondelete="CASCADE"), nullable=False),
    Column("event_id", Id, ForeignKey("service_case_event.id", ondelete="SET NULL")),
    Column("filename", String(255), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("sha256", String(HASH_LENGTH), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("source", String(20), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    CheckConstraint("source IN ('portal', 'email', 'staff')", name="source"),
    Index(None, "case_id", "id"),
    sqlite_autoincrement=True,
)

case_rating = Table(
    "service_case_rating",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("case_id", Id, ForeignKey("service_case.id", ondelete="CASCADE"), nullable=False),
    Column("resolved_at", UTCDateTime(), nullable=False),
    Column("score", Integer, nullable=False),
    Column("comment", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    CheckConstraint("score BETWEEN 1 AND 5", name="score"),
    # One rating per resolution: a case reopened and resolved again may be rated again.
    UniqueConstraint("case_id", "resolved_at"),
    Index(None, "created_at"),
    sqlite_autoincrement=True,
)

TABLES = [portal_link, portal_session, link_request, attachment, case_rating]
