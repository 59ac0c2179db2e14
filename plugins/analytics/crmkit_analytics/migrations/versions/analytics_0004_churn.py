"""Add the churn part's tables: analytics_churn and analytics_churn_model.

Revision ID: analytics_0004
Revises: analytics_0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "analytics_0004"
down_revision = "analytics_0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "analytics_churn",
        sa.Column("party_id", ID, nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", JSON, nullable=False),
        sa.Column("silence_days", sa.Float(), nullable=False),
        sa.Column("silence_ratio", sa.Float(), nullable=False),
        sa.Column("spend_change", sa.Float(), nullable=False),
        sa.Column("complaints", sa.Float(), nullable=False),
        sa.Column("detractors", sa.Float(), nullable=False),
        sa.Column("days_since_contact", sa.Float(), nullable=True),
        sa.Column("model_id", ID, nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_analytics_churn_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("party_id", name=op.f("pk_analytics_churn")),
    )
    with op.batch_alter_table("analytics_churn", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_analytics_churn_score"), ["score"], unique=False)
    op.create_table(
        "analytics_churn_model",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("fitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("trained_on", sa.Integer(), nullable=False),
        sa.Column("parameters", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_churn_model")),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("analytics_churn_model")
    with op.batch_alter_table("analytics_churn", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_analytics_churn_score"))
    op.drop_table("analytics_churn")
