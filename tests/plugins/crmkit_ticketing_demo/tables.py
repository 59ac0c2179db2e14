"""The plugin's one table: tickets raised by a party."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, String, Table

from crmkit import metadata
from crmkit.core.tables import Id, UTCDateTime

ticket = Table(
    "ticketing_demo_ticket",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("status", String(20), nullable=False),
    Column("opened_at", UTCDateTime(), nullable=False),
    Index(None, "party_id", "status"),
)
