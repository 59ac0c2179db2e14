"""Business-hour calendars, SLA policies, the clocks of each case and the breaches recorded."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from crmkit import Id, JSONType, UTCDateTime, metadata

calendar = Table(
    "service_sla_calendar",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    # The team whose cases count business time by this calendar; None: named by default_calendar.
    Column("team", String(100)),
    Column("time_zone", String(64), nullable=False),
    Column("hours", JSONType, nullable=False),
    Column("holidays", JSONType, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    UniqueConstraint("name"),
    UniqueConstraint("team"),
    sqlite_autoincrement=True,
)

policy = Table(
    "service_sla_policy",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    # What the policy applies to; None matches anything.
    Column("tier", String(40)),
    Column("priority", String(10)),
    Column("category_id", Id, ForeignKey("service_category.id", ondelete="CASCADE")),
    Column("first_response_minutes", Integer, nullable=False),
    Column("resolution_minutes", Integer, nullable=False),
    Column("warning_percent", Integer),
    # The people told on breach, in order (owner, team_lead, manager); None: the settings' chain.
    Column("escalation", JSONType),
    Column("penalty", String(300)),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    # Two policies for the same tier, priority and category are refused by the service: a
    # unique constraint would let them through, its NULLs being distinct.
    UniqueConstraint("name"),
    sqlite_autoincrement=True,
)

clock = Table(
    "service_sla_clock",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("case_id", Id, ForeignKey("service_case.id", ondelete="CASCADE"), nullable=False),
    Column("metric", String(20), nullable=False),
    # Copied from the case so that work lists and compliance read this table alone.
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False),
    Column("owner_id", Id, ForeignKey("core_user.id")),
    Column("team", String(100)),
    Column("case_status", String(30), nullable=False),
    Column("policy_id", Id, ForeignKey("service_sla_policy.id", ondelete="SET NULL")),
    Column("target_seconds", Integer, nullable=False),
    Column("warning_percent", Integer, nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    # Business seconds used before ``running_since``; while paused or stopped, all of them.
    Column("elapsed_seconds", Integer, nullable=False),
    Column("running_since", UTCDateTime()),
    Column("paused_at", UTCDateTime()),
    # When the target and the warning threshold are reached if the clock keeps running; both
    # None while paused; a stopped clock keeps the due time it had.
    Column("due_at", UTCDateTime()),
    Column("warn_at", UTCDateTime()),
    Column("stopped_at", UTCDateTime()),
    Column("met", Boolean),
    Column("warned_at", UTCDateTime()),
    Column("breached_at", UTCDateTime()),
    Column("escalation_level", Integer, nullable=False),
    Column("escalated_at", UTCDateTime()),
    Column("updated_at", UTCDateTime(), nullable=False),
    CheckConstraint("metric IN ('first_response', 'resolution')", name="metric"),
    UniqueConstraint("case_id", "metric"),
    # The work list: an owner's clocks still counting, by due time.
    Index("ix_service_sla_clock_work", "owner_id", "stopped_at", "due_at"),
    # Compliance per team and period, each read from an index alone: a range of start times
    # (PostgreSQL); the teams and metrics SQLite skip-scans, adding up each group as it goes
    # without sorting the period; the clocks of a list of parties, for the record rules.
    Index(
        "ix_service_sla_clock_compliance",
        "started_at",
        "team",
        "metric",
        "met",
        "breached_at",
        "party_id",
    ),
    Index("ix_service_sla_clock_team_period", "team", "metric", "started_at", "met", "breached_at"),
    Index(
        "ix_service_sla_clock_party_period",
        "party_id",
        "started_at",
        "team",
        "metric",
        "met",
        "breached_at",
    ),
    # The job: clocks whose warning or due time has come.
    Index(None, "warn_at"),
    Index(None, "due_at"),
    sqlite_autoincrement=True,
)

breach = Table(
    "service_sla_breach",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("clock_id", Id, ForeignKey("service_sla_clock.id", ondelete="CASCADE"), nullable=False),
    Column("case_id", Id, ForeignKey("service_case.id", ondelete="CASCADE"), nullable=False),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False),
    Column("metric", String(20), nullable=False),
    Column("team", String(100)),
    Column("owner_id", Id, ForeignKey("core_user.id")),
    Column("policy_name", String(100)),
    Column("penalty", String(300)),
    Column("due_at", UTCDateTime(), nullable=False),
    Column("breached_at", UTCDateTime(), nullable=False),
    # [{"level": 1, "step": "owner", "user_id": 7, "at": "..."}, ...]
    Column("escalations", JSONType, nullable=False),
    UniqueConstraint("clock_id", "due_at"),
    Index(None, "party_id"),
    Index(None, "case_id"),
    Index(None, "breached_at", "team"),
    sqlite_autoincrement=True,
)
"""One breach of one clock; a clock restarted on reopen may breach again (another due time)."""

TABLES = [calendar, policy, clock, breach]
