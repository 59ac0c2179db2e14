"""Opportunities, their stage history, activities and the pipelines defined through the API."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
)

from crmkit import Id, JSONType, UTCDateTime, metadata

opportunity = Table(
    "sfa_opportunity",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False),
    Column("pipeline", String(50), nullable=False),
    Column("stage", String(50), nullable=False),
    Column("status", String(10), nullable=False),
    Column("title", String(300), nullable=False),
    Column("amount", Numeric(18, 2)),
    Column("currency", String(3), nullable=False),
    Column("probability", Integer, nullable=False),
    Column("expected_close", Date),
    Column("owner_id", Id, ForeignKey("core_user.id")),
    Column("territory", String(50)),
    Column("team", String(100)),
    Column("source", String(200)),
    Column("lost_reason", String(500)),
    Column("products", JSONType, nullable=False),
    Column("contacts", JSONType, nullable=False),
    Column("milestones", JSONType, nullable=False),
    Column("stage_entered_at", UTCDateTime(), nullable=False),
    Column("closed_at", UTCDateTime()),
    Column("custom", JSONType, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    # The board (open ones of a pipeline by stage, with what it sums), "my opportunities", the
    # forecast's two range scans (open by close date, won by close time) and a party's deals.
    # The summed columns ride along so that those queries read an index alone, never the table.
    Index("ix_sfa_opportunity_board", "pipeline", "status", "stage", "currency", "amount"),
    Index(None, "owner_id", "status"),
    Index(
        "ix_sfa_opportunity_open_by_close",
        "status",
        "expected_close",
        "currency",
        "probability",
        "amount",
        "owner_id",
    ),
    Index("ix_sfa_opportunity_closed", "status", "closed_at", "currency", "amount", "owner_id"),
    Index(None, "party_id"),
    sqlite_autoincrement=True,
)

stage_change = Table(
    "sfa_stage_change",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "opportunity_id", Id, ForeignKey("sfa_opportunity.id", ondelete="CASCADE"), nullable=False
    ),
    Column("from_stage", String(50)),
    Column("to_stage", String(50), nullable=False),
    Column("changed_by", Id, ForeignKey("core_user.id")),
    Column("changed_at", UTCDateTime(), nullable=False),
    Index(None, "opportunity_id", "changed_at"),
    sqlite_autoincrement=True,
)

activity = Table(
    "sfa_activity",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False),
    Column("opportunity_id", Id, ForeignKey("sfa_opportunity.id", ondelete="SET NULL")),
    Column("kind", String(10), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("details", Text),
    Column("owner_id", Id, ForeignKey("core_user.id")),
    Column("due_at", UTCDateTime()),
    Column("starts_at", UTCDateTime()),
    Column("ends_at", UTCDateTime()),
    Column("location", String(300)),
    Column("status", String(10), nullable=False),
    Column("outcome", String(300)),
    Column("completed_at", UTCDateTime()),
    Column("playbook_step", String(101)),
    Column("ical_uid", String(255)),
    Column("interaction_id", Id, ForeignKey("core_interaction.id", ondelete="SET NULL")),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    # "My activities" and overdue alerts; an opportunity's activities; a party's; re-imported invitations.
    Index(None, "owner_id", "status", "due_at"),
    Index(None, "opportunity_id"),
    Index(None, "party_id"),
    Index(None, "owner_id", "ical_uid"),
    sqlite_autoincrement=True,
)

pipeline = Table(
    "sfa_pipeline",
    metadata,
    Column("key", String(50), primary_key=True),
    Column("definition", JSONType, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)
"""Pipelines defined through the API; ``definition`` is the pipeline as JSON (label, stages)."""
