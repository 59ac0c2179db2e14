"""The accounts part's table: connected Facebook Pages and Instagram business accounts."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from crmkit import Id, UTCDateTime, metadata

account_table = Table(
    "social_account",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("platform", String(20), nullable=False),
    Column("page_id", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    # The page access token, Fernet-encrypted with [plugins.social.accounts] token_key.
    Column("token_cipher", Text, nullable=False),
    Column("token_expires_at", UTCDateTime()),
    # ok | dead (Graph refused it: reconnect) | demo (never calls out)
    Column("token_state", String(10), nullable=False, default="ok"),
    Column("token_problem", String(500)),
    Column("token_checked_at", UTCDateTime()),
    Column("subscribed_fields", String(200), nullable=False, default=""),
    Column("connected_at", UTCDateTime(), nullable=False),
    Column("connected_by", Id, ForeignKey("core_user.id", ondelete="SET NULL")),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False, default=1),
    Index(None, "active", "token_expires_at"),
    sqlite_autoincrement=True,
)

TABLES = [account_table]
