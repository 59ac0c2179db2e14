"""Add business-hour calendars, SLA policies, clocks and breaches.

Revision ID: service_0002
Revises: service_0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "service_0002"
down_revision = "service_0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "service_sla_calendar",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("team", sa.String(length=100), nullable=True),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("hours", JSON, nullable=False),
        sa.Column("holidays", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_sla_calendar")),
        sa.UniqueConstraint("name", name=op.f("uq_service_sla_calendar_name")),
        sa.UniqueConstraint("team", name=op.f("uq_service_sla_calendar_team")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "service_sla_policy",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("tier", sa.String(length=40), nullable=True),
        sa.Column("priority", sa.String(length=10), nullable=True),
        sa.Column("category_id", ID, nullable=True),
        sa.Column("first_response_minutes", sa.Integer(), nullable=False),
        sa.Column("resolution_minutes", sa.Integer(), nullable=False),
        sa.Column("warning_percent", sa.Integer(), nullable=True),
        sa.Column("escalation", JSON, nullable=True),
        sa.Column("penalty", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["service_category.id"],
            name=op.f("fk_service_sla_policy_category_id_service_category"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_sla_policy")),
        sa.UniqueConstraint("name", name=op.f("uq_service_sla_policy_name")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "service_sla_clock",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("metric", sa.String(length=20), nullable=False),
        sa.Column("party_id", ID, nullable=False),
        sa.Column("owner_id", ID, nullable=True),
        sa.Column("team", sa.String(length=100), nullable=True),
        sa.Column("case_status", sa.String(length=30), nullable=False),
        sa.Column("policy_id", ID, nullable=True),
        sa.Column("target_seconds", sa.Integer(), nullable=False),
        sa.Column("warning_percent", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("elapsed_seconds", sa.Integer(), nullable=False),
        sa.Column("running_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("warn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("met", sa.Boolean(), nullable=True),
        sa.Column("warned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("breached_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "metric IN ('first_response', 'resolution')", name=op.f("ck_service_sla_clock_metric")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["service_case.id"],
            name=op.f("fk_service_sla_clock_case_id_service_case"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["core_user.id"], name=op.f("fk_service_sla_clock_owner_id_core_user")
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_service_sla_clock_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["service_sla_policy.id"],
            name=op.f("fk_service_sla_clock_policy_id_service_sla_policy"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_sla_clock")),
        sa.UniqueConstraint("case_id", "metric", name=op.f("uq_service_sla_clock_case_id_metric")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_service_sla_clock_compliance",
        "service_sla_clock",
        ["started_at", "team", "metric", "met", "breached_at", "party_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_service_sla_clock_due_at"), "service_sla_clock", ["due_at"], unique=False
    )
    op.create_index(
        "ix_service_sla_clock_party_period",
        "service_sla_clock",
        ["party_id", "started_at", "team", "metric", "met", "breached_at"],
        unique=False,
    )
    op.create_index(
        "ix_service_sla_clock_team_period",
        "service_sla_clock",
        ["team", "metric", "started_at", "met", "breached_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_service_sla_clock_warn_at"), "service_sla_clock", ["warn_at"], unique=False
    )
    op.create_index(
        "ix_service_sla_clock_work",
        "service_sla_clock",
        ["owner_id", "stopped_at", "due_at"],
        unique=False,
    )
    op.create_table(
        "service_sla_breach",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("clock_id", ID, nullable=False),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("party_id", ID, nullable=False),
        sa.Column("metric", sa.String(length=20), nullable=False),
        sa.Column("team", sa.String(length=100), nullable=True),
        sa.Column("owner_id", ID, nullable=True),
        sa.Column("policy_name", sa.String(length=100), nullable=True),
        sa.Column("penalty", sa.String(length=300), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("breached_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("escalations", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["service_case.id"],
            name=op.f("fk_service_sla_breach_case_id_service_case"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["clock_id"],
            ["service_sla_clock.id"],
            name=op.f("fk_service_sla_breach_clock_id_service_sla_clock"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["core_user.id"], name=op.f("fk_service_sla_breach_owner_id_core_user")
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_service_sla_breach_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_sla_breach")),
        sa.UniqueConstraint(
            "clock_id", "due_at", name=op.f("uq_service_sla_breach_clock_id_due_at")
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_service_sla_breach_breached_at_team"),
        "service_sla_breach",
        ["breached_at", "team"],
        unique=False,
    )
    op.create_index(
        op.f("ix_service_sla_breach_case_id"), "service_sla_breach", ["case_id"], unique=False
    )
    op.create_index(
        op.f("ix_service_sla_breach_party_id"), "service_sla_breach", ["party_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_service_sla_breach_party_id", table_name="service_sla_breach")
    op.drop_index("ix_service_sla_breach_case_id", table_name="service_sla_breach")
    op.drop_index("ix_service_sla_breach_breached_at_team", table_name="service_sla_breach")
    op.drop_table("service_sla_breach")
    op.drop_index("ix_service_sla_clock_work", table_name="service_sla_clock")
    op.drop_index("ix_service_sla_clock_warn_at", table_name="service_sla_clock")
    op.drop_index("ix_service_sla_clock_team_period", table_name="service_sla_clock")
    op.drop_index("ix_service_sla_clock_party_period", table_name="service_sla_clock")
    op.drop_index("ix_service_sla_clock_due_at", table_name="service_sla_clock")
    op.drop_index("ix_service_sla_clock_compliance", table_name="service_sla_clock")
    op.drop_table("service_sla_clock")
    op.drop_table("service_sla_policy")
    op.drop_table("service_sla_calendar")
