"""The segments part's tables: saved segments, static and suppression lists and their members."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text

from crmkit import Id, JSONType, UTCDateTime, metadata

LIST_KINDS = ("static", "suppression")
"""A static list is targeted like a segment; a suppression list is left out of every target."""

segment = Table(
    "campaigns_segment",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("description", Text),
    Column("definition", JSONType, nullable=False),
    # The filter language's JSON (see docs/segments.md), checked when saved and compiled when run.
    Column("owner_id", Id, ForeignKey("core_user.id")),
    Column("created_by", Id, ForeignKey("core_user.id")),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    sqlite_autoincrement=True,
)

party_list = Table(
    "campaigns_list",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(20), nullable=False),
    Column("name", String(200), nullable=False),
    Column("description", Text),
    Column("owner_id", Id, ForeignKey("core_user.id")),
    Column("created_by", Id, ForeignKey("core_user.id")),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Index(None, "kind", "id"),
    sqlite_autoincrement=True,
)

list_member = Table(
    "campaigns_list_member",
    metadata,
    Column("list_id", Id, ForeignKey("campaigns_list.id", ondelete="CASCADE"), primary_key=True),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), primary_key=True),
    Column("added_at", UTCDateTime(), nullable=False),
    # Suppression: "is this party on any suppression list", by party.
    Index(None, "party_id"),
)
"""The parties of a static or suppression list."""

list_address = Table(
    "campaigns_list_address",
    metadata,
    Column("list_id", Id, ForeignKey("campaigns_list.id", ondelete="CASCADE"), primary_key=True),
    Column("address", String(320), primary_key=True),
    # Normalised as the kernel keys email contact points, so that it joins on their ``key``.
    Column("added_at", UTCDateTime(), nullable=False),
    Index(None, "address"),
)
"""The email addresses of a suppression list: whoever has one of them is left out."""

TABLES = [segment, party_list, list_member, list_address]
