"""Planning's tables: alerts already raised, sales targets, weekly forecast snapshots."""

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
    UniqueConstraint,
)

from crmkit import Id, UTCDateTime, metadata

alert = Table(
    "sfa_alert",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(30), nullable=False),
    # What the alert is about (an activity, opportunity or target) and since when the
    # condition holds: a new due date, stage or close date is a new condition.
    Column("subject_id", Id, nullable=False),
    Column("since", UTCDateTime(), nullable=False),
    Column("user_id", Id, ForeignKey("core_user.id", ondelete="CASCADE"), nullable=False),
    Column("notification_id", Id),
    Column("raised_at", UTCDateTime(), nullable=False),
    # Raised once per condition and recipient; the constraint also settles a race.
    UniqueConstraint("kind", "subject_id", "since", "user_id"),
    sqlite_autoincrement=True,
)

target = Table(
    "sfa_target",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("scope", String(20), nullable=False),
    Column("scope_key", String(100), nullable=False),
    Column("period_kind", String(10), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("measure", String(10), nullable=False),
    Column("value", Numeric(18, 4), nullable=False),
    Column("currency", String(3)),
    Column("owner_id", Id, ForeignKey("core_user.id", ondelete="SET NULL")),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("scope", "scope_key", "period_kind", "period_start", "measure"),
    # The run-rate job reads the targets of the periods under way.
    Index(None, "period_start"),
    sqlite_autoincrement=True,
)

forecast_snapshot = Table(
    "sfa_forecast_snapshot",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("taken_on", Date, nullable=False),
    Column("period_kind", String(10), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("owner_id", Id, ForeignKey("core_user.id", ondelete="SET NULL")),
    Column("territory", String(100)),
    Column("currency", String(3), nullable=False),
    Column("open_count", Integer, nullable=False),
    Column("pipeline", Numeric(18, 4), nullable=False),
    Column("weighted", Numeric(18, 4), nullable=False),
    Column("commit", Numeric(18, 4), nullable=False),
    Column("best_case", Numeric(18, 4), nullable=False),
    Column("won", Numeric(18, 4), nullable=False),
    Index(None, "period_kind", "period_start", "taken_on"),
    sqlite_autoincrement=True,
)

TABLES = [alert, target, forecast_snapshot]
