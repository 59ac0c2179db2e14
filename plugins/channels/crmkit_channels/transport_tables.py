"""The outbox of the transports other plugins register (a social network's messages, comments, posts)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from crmkit import Id, JSONType, UTCDateTime, metadata

transport_message = Table(
    "channels_transport_message",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # None for a message to no party (a page post).
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE")),
    # The registered transport's name (``facebook.messenger``) and its interaction channel.
    Column("transport", String(100), nullable=False),
    Column("channel", String(50), nullable=False),
    # What the transport's rate applies to (a page, an account).
    Column("rate_key", String(200), nullable=False),
    Column("purpose", String(50), nullable=False),
    Column("transactional", Boolean, nullable=False),
    # Whom or what it goes to on the platform (a page-scoped id, a comment id, a page id).
    Column("recipient", String(200), nullable=False),
    Column("body", Text, nullable=False),
    # What else the transport needs to deliver it (a messaging tag, a link).
    Column("payload", JSONType, nullable=False),
    # queued, sending, sent, failed, suppressed, unknown.
    Column("status", String(20), nullable=False),
    # The platform's id of the accepted message.
    Column("receipt", String(200)),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime()),
    Column("sending_at", UTCDateTime()),
    Column("last_error", Text),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime()),
    Index("ix_channels_transport_message_due", "status", "next_attempt_at", "id"),
    Index(None, "party_id", "id"),
    sqlite_autoincrement=True,
)
