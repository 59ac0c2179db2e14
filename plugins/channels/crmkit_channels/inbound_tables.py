"""Inbound mail: each message as received, and its attachments."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from crmkit import Id, JSONType, UTCDateTime, metadata

inbound_email = Table(
    "channels_inbound_email",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # The Message-ID, or a digest of the message when it has none: a sender retrying a
    # message it was not sure we took sends the same one again, and it is stored once.
    Column("dedup_key", String(250), nullable=False, unique=True),
    Column("message_id", String(250)),
    Column("envelope_from", String(320), nullable=False),
    Column("recipients", JSONType, nullable=False),
    Column("sender", String(320)),
    Column("sender_name", String(200)),
    Column("subject", Text, nullable=False),
    Column("text", Text, nullable=False),
    # The message exactly as received: what the parsed columns are read from.
    Column("raw", LargeBinary, nullable=False),
    Column("auto_reply", Boolean, nullable=False),
    Column("notes", JSONType, nullable=False),
    # The outbound email it answers, when it is a reply on a known thread.
    Column("answers_email_id", Id, ForeignKey("channels_email.id", ondelete="SET NULL")),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE")),
    # received (stored), placed (on the timeline), routed (route_inbound asked), failed.
    Column("status", String(20), nullable=False),
    Column("claimed_by", String(100)),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("routed_at", UTCDateTime()),
    Index("ix_channels_inbound_email_pending", "status", "received_at"),
    Index(None, "party_id", "id"),
    sqlite_autoincrement=True,
)

inbound_attachment = Table(
    "channels_inbound_attachment",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "inbound_email_id",
        Id,
        ForeignKey("channels_inbound_email.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("filename", String(255)),
    Column("content_type", String(255), nullable=False),
    Column("size", Integer, nullable=False),
    # None when the attachment was dropped for its size; `dropped` says why.
    Column("content", LargeBinary),
    Column("dropped", Text),
    sqlite_autoincrement=True,
)
