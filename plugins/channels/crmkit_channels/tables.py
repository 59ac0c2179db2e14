"""The outboxes (one row per message, from the caller's transaction to its final state) and the SMS received."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.dialects.postgresql import JSONB

from crmkit import Id, JSONType, UTCDateTime, metadata

email = Table(
    "channels_email",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False),
    Column("purpose", String(50), nullable=False),
    Column("transactional", Boolean, nullable=False),
    Column("template", String(100)),
    Column("recipient", String(320), nullable=False),
    # Subject and raw are None while the email waits to be rendered at delivery (``pending``).
    Column("subject", Text),
    Column("message_id", String(250), nullable=False, unique=True),
    # The message exactly as it is handed to the relay (headers and MIME body).
    Column("raw", Text),
    Column("variables", JSONType, nullable=False),
    # What rendering at delivery needs beside the row: its ``body`` (``channels_email_body``)
    # and the message's options; NULL (not JSON null) once rendered.
    Column("pending", JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")),
    # queued, sending, sent, failed, suppressed, unknown (see the README).
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime()),
    Column("sending_at", UTCDateTime()),
    Column("last_error", Text),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime()),
    # The ``[#ab12cd]`` in the subject (``subject_token`` setting): threads a reply whose mail
    # client dropped In-Reply-To and References.
    Column("subject_token", String(12)),
    # A resend is a new email; this is the failed or unknown one it sends again.
    Column("resent_from_id", Id, ForeignKey("channels_email.id", ondelete="SET NULL")),
    # The delivery job's two scans: what is due, and what was left in sending by a dead worker.
    Index("ix_channels_email_due", "status", "next_attempt_at", "id"),
    Index("ix_channels_email_subject_token", "subject_token", unique=True),
    Index(None, "party_id", "id"),
    Index(None, "resent_from_id"),
    sqlite_autoincrement=True,
)

email_body = Table(
    "channels_email_body",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # sha256 of subject, text and HTML: a body sent to a hundred thousand is stored once.
    Column("digest", String(64), nullable=False, unique=True),
    Column("subject", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("html", Text),
    sqlite_autoincrement=True,
)

sms = Table(
    "channels_sms",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False),
    Column("purpose", String(50), nullable=False),
    Column("transactional", Boolean, nullable=False),
    Column("template", String(100)),
    # E.164, as the gateway is given it.
    Column("recipient", String(20), nullable=False),
    Column("body", Text, nullable=False),
    # GSM-7 or UCS-2, and how many segments the body takes: what the carrier bills.
    Column("encoding", String(10), nullable=False),
    Column("segments", Integer, nullable=False),
    Column("variables", JSONType, nullable=False),
    # queued, sending, sent, delivered, undelivered, failed, suppressed, unknown.
    Column("status", String(20), nullable=False),
    # The gateway's message SID, once it accepted the message, and its latest status callback.
    Column("sid", String(64), unique=True),
    Column("gateway_status", String(20)),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime()),
    Column("sending_at", UTCDateTime()),
    Column("last_error", Text),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime()),
    Column("resent_from_id", Id, ForeignKey("channels_sms.id", ondelete="SET NULL")),
    Index("ix_channels_sms_due", "status", "next_attempt_at", "id"),
    Index(None, "party_id", "id"),
    Index(None, "resent_from_id"),
    sqlite_autoincrement=True,
)

sms_received = Table(
    "channels_sms_received",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # The gateway's SID: a webhook it delivers twice is stored once.
    Column("sid", String(64), nullable=False, unique=True),
    # None when intake rejected the sender as a party.
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE")),
    Column("sender", String(20), nullable=False),
    Column("recipient", String(20), nullable=False),
    Column("body", Text, nullable=False),
    # STOP, START … when the whole message was an opt-out or opt-in keyword.
    Column("keyword", String(20)),
    Column("received_at", UTCDateTime(), nullable=False),
    Index(None, "party_id", "id"),
    sqlite_autoincrement=True,
)
