"""Add the transactions part's tables: analytics_purchase and analytics_clv.

Revision ID: analytics_0002
Revises: analytics_0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "analytics_0002"
down_revision = "analytics_0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "analytics_purchase",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("order_ref", sa.String(length=120), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("party_id", ID, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("product", sa.String(length=120), nullable=True),
        sa.Column("product_group", sa.String(length=120), nullable=True),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_analytics_purchase_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_purchase")),
        sa.UniqueConstraint(
            "source", "order_ref", "line", name=op.f("uq_analytics_purchase_source_order_ref_line")
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_analytics_purchase_party_id_occurred_at"),
        "analytics_purchase",
        ["party_id", "occurred_at"],
        unique=False,
    )
    op.create_table(
        "analytics_clv",
        sa.Column("party_id", ID, nullable=False),
        sa.Column("frequency", sa.Integer(), nullable=False),
        sa.Column("recency_days", sa.Float(), nullable=False),
        sa.Column("age_days", sa.Float(), nullable=False),
        sa.Column("expected_purchases_90d", sa.Float(), nullable=False),
        sa.Column("p_alive", sa.Float(), nullable=False),
        sa.Column("expected_spend", sa.Float(), nullable=True),
        sa.Column("clv", sa.Float(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("fitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_analytics_clv_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("party_id", name=op.f("pk_analytics_clv")),
    )


def downgrade() -> None:
    op.drop_table("analytics_clv")
    op.drop_index(
        op.f("ix_analytics_purchase_party_id_occurred_at"), table_name="analytics_purchase"
    )
    op.drop_table("analytics_purchase")
