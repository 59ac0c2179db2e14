"""The plans part's tables: marketing plans and their quantitative targets."""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, Index, Integer, Numeric, String, Table, Text

from crmkit import Id, UTCDateTime, metadata

plan = Table(
    "campaigns_plan",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("owner_id", Id, ForeignKey("core_user.id")),
    # The first day of the plan's first month and of its last month: plans run in whole months.
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("created_by", Id, ForeignKey("core_user.id")),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    sqlite_autoincrement=True,
)

target = Table(
    "campaigns_plan_target",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("plan_id", Id, ForeignKey("campaigns_plan.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    # "2027-03" (a month) or "2027-Q1" (a quarter), within the plan's months.
    Column("period", String(7), nullable=False),
    # NULL: any product group, any region. A region is a country ("DE") or a territory ("DE-8").
    Column("product_group", String(100)),
    Column("region", String(100)),
    Column("metric", String(20), nullable=False),
    Column("value", Numeric(14, 2), nullable=False),
    # Revenue targets only: the currency of ``value``.
    Column("currency", String(3)),
    Index(None, "plan_id", "position"),
    sqlite_autoincrement=True,
)

TABLES = [plan, target]
