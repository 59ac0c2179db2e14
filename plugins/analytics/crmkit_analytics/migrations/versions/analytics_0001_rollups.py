"""Add the rollups part's tables.

Revision ID: analytics_0001
Revises: (none: the base of the branch)
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "analytics_0001"
down_revision = None
branch_labels = ("analytics",)
depends_on = ("core",)

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "analytics_rollup",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("metric", sa.String(length=80), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dimension", sa.String(length=120), nullable=False),
        sa.Column("territory", sa.String(length=40), nullable=False),
        sa.Column("team", sa.String(length=80), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_rollup")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "uq_analytics_rollup_cell",
        "analytics_rollup",
        ["metric", "day", "dimension", "territory", "team", "owner_id"],
        unique=True,
    )
    op.create_table(
        "analytics_applied_event",
        sa.Column("event_id", ID, autoincrement=False, nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_analytics_applied_event")),
    )
    op.create_index(
        op.f("ix_analytics_applied_event_applied_at"),
        "analytics_applied_event",
        ["applied_at"],
    )
    op.create_table(
        "analytics_contribution",
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("party_id", sa.BigInteger(), nullable=True),
        sa.Column("cells", JSON, nullable=False),
        sa.PrimaryKeyConstraint("source", "key", name=op.f("pk_analytics_contribution")),
    )
    op.create_index(
        op.f("ix_analytics_contribution_party_id"), "analytics_contribution", ["party_id"]
    )
    op.create_table(
        "analytics_source_state",
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.Column("rebuilt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("caught_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_analytics_source_state")),
    )


def downgrade() -> None:
    op.drop_table("analytics_source_state")
    op.drop_index(op.f("ix_analytics_contribution_party_id"), table_name="analytics_contribution")
    op.drop_table("analytics_contribution")
    op.drop_index(
        op.f("ix_analytics_applied_event_applied_at"), table_name="analytics_applied_event"
    )
    op.drop_table("analytics_applied_event")
    op.drop_index("uq_analytics_rollup_cell", table_name="analytics_rollup")
    op.drop_table("analytics_rollup")
