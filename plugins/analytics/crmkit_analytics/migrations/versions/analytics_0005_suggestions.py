"""Add the suggestions part's table: analytics_rule.

Revision ID: analytics_0005
Revises: analytics_0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "analytics_0005"
down_revision = "analytics_0004"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "analytics_rule",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("antecedent", sa.String(length=120), nullable=False),
        sa.Column("consequent", sa.String(length=120), nullable=False),
        sa.Column("support", sa.Float(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("lift", sa.Float(), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_rule")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "uq_analytics_rule_pair", "analytics_rule", ["antecedent", "consequent"], unique=True
    )
    op.create_index(
        op.f("ix_analytics_rule_consequent"), "analytics_rule", ["consequent"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_analytics_rule_consequent"), table_name="analytics_rule")
    op.drop_index("uq_analytics_rule_pair", table_name="analytics_rule")
    op.drop_table("analytics_rule")
