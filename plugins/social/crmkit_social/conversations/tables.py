"""Threads per sender and page, and every message and comment in them (in and out)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from crmkit import Id, UTCDateTime, metadata

conversation_table = Table(
    "social_conversation",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, ForeignKey("social_account.id", ondelete="CASCADE"), nullable=False),
    Column("platform", String(20), nullable=False),
    Column("page_id", String(100), nullable=False),
    # The sender's page-scoped id (PSID, IGSID) or, for a commenter, the id Graph gives.
    Column("sender_id", String(100), nullable=False),
    Column("sender_name", String(200)),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False),
    # The 24-hour messaging window runs from the sender's last private message.
    Column("last_inbound_at", UTCDateTime()),
    Column("last_message_at", UTCDateTime(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    UniqueConstraint("page_id", "sender_id"),
    Index(None, "party_id"),
    Index(None, "last_message_at", "id"),
    sqlite_autoincrement=True,
)

message_table = Table(
    "social_message",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "conversation_id",
        Id,
        ForeignKey("social_conversation.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False),
    Column("page_id", String(100), nullable=False),
    # inbound, outbound
    Column("direction", String(10), nullable=False),
    # message, comment, post (a visitor's post on the page), mention
    Column("kind", String(10), nullable=False),
    # Meta's id (mid, comment id): an inbound one resent by Meta is stored once.
    Column("external_id", String(200)),
    # The post or comment a comment answers.
    Column("parent_id", String(200)),
    Column("text", Text, nullable=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    # An outbound one: the channels plugin's message id (its delivery state lives there).
    Column("outbound_id", Id),
    # A complaint offered to the service plugin: the reference it gave (a case number).
    Column("complaint_ref", String(100)),
    Column("created_by", String(200), nullable=False),
    UniqueConstraint("page_id", "external_id"),
    Index(None, "conversation_id", "id"),
    Index(None, "party_id", "id"),
    sqlite_autoincrement=True,
)

post_table = Table(
    "social_post",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, ForeignKey("social_account.id", ondelete="CASCADE"), nullable=False),
    Column("page_id", String(100), nullable=False),
    Column("text", Text, nullable=False),
    Column("link", String(2000)),
    Column("outbound_id", Id, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index(None, "page_id", "id"),
    sqlite_autoincrement=True,
)

TABLES = [conversation_table, message_table, post_table]
