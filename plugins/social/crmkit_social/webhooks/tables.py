"""The webhooks part's table: the inbox of changes Meta delivered, each stored once."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text

from crmkit import Id, JSONType, UTCDateTime, metadata

change_table = Table(
    "social_change",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # Stable across Meta's resends of the same change: a resend stores nothing new.
    Column("key", String(200), nullable=False, unique=True),
    Column("object", String(40), nullable=False),
    Column("page_id", String(64), nullable=False),
    Column("field", String(60), nullable=False),
    Column("value", JSONType, nullable=False),
    Column("time", UTCDateTime(), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    # pending | processed | ignored | refused | failed
    Column("state", String(10), nullable=False),
    Column("reason", String(500)),
    Column("account_id", Id, ForeignKey("social_account.id", ondelete="SET NULL")),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_try_at", UTCDateTime()),
    Column("lease_until", UTCDateTime()),
    Column("last_error", Text),
    Column("processed_at", UTCDateTime()),
    Index(None, "state", "next_try_at"),
    Index(None, "page_id", "received_at"),
    sqlite_autoincrement=True,
)

TABLES = [change_table]
