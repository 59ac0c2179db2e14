"""Add the plans part's tables.

Revision ID: campaigns_0004
Revises: campaigns_0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "campaigns_0004"
down_revision = "campaigns_0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "campaigns_plan",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_id", ID, nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["core_user.id"], name=op.f("fk_campaigns_plan_owner_id_core_user")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["core_user.id"], name=op.f("fk_campaigns_plan_created_by_core_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns_plan")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "campaigns_plan_target",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("plan_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("product_group", sa.String(length=100), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("metric", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["campaigns_plan.id"],
            name=op.f("fk_campaigns_plan_target_plan_id_campaigns_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns_plan_target")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_campaigns_plan_target_plan_id_position",
        "campaigns_plan_target",
        ["plan_id", "position"],
    )


def downgrade() -> None:
    op.drop_index("ix_campaigns_plan_target_plan_id_position", table_name="campaigns_plan_target")
    op.drop_table("campaigns_plan_target")
    op.drop_table("campaigns_plan")
