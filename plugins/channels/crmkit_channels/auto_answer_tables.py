"""What the auto-answer rules decided for each inbound email: one row per message, ever."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, String, Table

from crmkit import Id, UTCDateTime, metadata

auto_answer = Table(
    "channels_auto_answer",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # Unique: a message routed again after a crash finds its decision and is not answered twice.
    Column(
        "inbound_email_id",
        Id,
        ForeignKey("channels_inbound_email.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    # The sender's address, lower case: what the daily limit counts by.
    Column("sender", String(320)),
    Column("rule", String(100)),
    # The answer in the outbox, when one was sent.
    Column("email_id", Id, ForeignKey("channels_email.id", ondelete="SET NULL")),
    # answered, or why not (no rule matched, a list's mail, the daily limit, ...).
    Column("outcome", String(200), nullable=False),
    Column("decided_at", UTCDateTime(), nullable=False),
    Index("ix_channels_auto_answer_sender_decided_at", "sender", "decided_at"),
    sqlite_autoincrement=True,
)
