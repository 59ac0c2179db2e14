"""The plugin's one table: follow-ups promised during calls."""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, Index, Table

from crmkit import Id, UTCDateTime, metadata

follow_up = Table(
    "callnotes_follow_up",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False),
    Column(
        "interaction_id", Id, ForeignKey("core_interaction.id", ondelete="CASCADE"), nullable=False
    ),
    Column("owner_id", Id, ForeignKey("core_user.id")),
    Column("due_on", Date, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("done_at", UTCDateTime()),
    Column("announced_at", UTCDateTime()),
    # The open follow-ups of a party, and the due ones of everybody, are the two look-ups.
    Index(None, "party_id", "done_at"),
    Index(None, "done_at", "due_on"),
    # A follow-up's id is named in events and URLs: SQLite must never give it to another.
    sqlite_autoincrement=True,
)
