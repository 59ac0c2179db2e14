"""The formats part's tables: the log of every document received or sent, and its leads.

An inbound document is unique by source and the sha256 of its body, so a resend is found;
an outbound one (a lead exported to a partner's endpoint) by partner code and
``assignment:<id>``, so one offer is written once and sent until it is delivered.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from crmkit import Id, JSONType, UTCDateTime, metadata

document = Table(
    "dms_document",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("format", String(10), nullable=False),  # adf, star
    Column("direction", String(3), nullable=False),  # in, out
    Column("source", String(100), nullable=False),  # the sender; for out, the partner's code
    Column("document_hash", String(64), nullable=False),
    # in: taken, partial; out: pending, sent, failed (retries used up).
    Column("status", String(20), nullable=False),
    Column("taken", Integer, nullable=False),
    Column("refused", Integer, nullable=False),
    Column("error", Text),
    # What each lead or noun became: position, party, assignment, reason.
    Column("results", JSONType, nullable=False),
    Column("body", Text, nullable=False),  # the first kept_bytes of the body
    Column("assignment_id", Id, ForeignKey("dms_assignment.id", ondelete="SET NULL")),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime()),
    Column("received_at", UTCDateTime(), nullable=False),
    UniqueConstraint("source", "direction", "document_hash"),
    Index(None, "received_at"),
    Index(None, "direction", "status", "next_attempt_at"),
    sqlite_autoincrement=True,
)

document_lead = Table(
    "dms_document_lead",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("document_id", Id, ForeignKey("dms_document.id", ondelete="CASCADE"), nullable=False),
    Column(
        "party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("position", Integer, nullable=False),
    Index(None, "document_id"),
    sqlite_autoincrement=True,
)

TABLES: list[Table] = [document, document_lead]
