"""Tracking: what happened to an email after it was sent, and the addresses never to email again."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text

from crmkit import Id, UTCDateTime, metadata

email_event = Table(
    "channels_email_event",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("email_id", Id, ForeignKey("channels_email.id", ondelete="CASCADE"), nullable=False),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False),
    # open, click, bounce (hard), soft_bounce, complaint.
    Column("kind", String(20), nullable=False),
    # The target of a click; the DSN Status (5.1.1) of a bounce.
    Column("detail", Text),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Index(None, "email_id", "kind"),
    Index(None, "party_id", "id"),
    sqlite_autoincrement=True,
)

suppression = Table(
    "channels_suppression",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # None once its party was erased: the hash alone keeps the address suppressed.
    Column("address", String(320)),
    # SHA-256 of the address, lower-cased: what sending looks up.
    Column("address_hash", String(64), nullable=False, unique=True),
    # bounce, complaint, manual.
    Column("reason", String(20), nullable=False),
    Column("detail", Text),
    Column("email_id", Id, ForeignKey("channels_email.id", ondelete="SET NULL")),
    Column("created_at", UTCDateTime(), nullable=False),
    sqlite_autoincrement=True,
)
