"""Add the programmes part's tables.

Revision ID: loyalty_0001
Revises: (none: the base of the branch)
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "loyalty_0001"
down_revision = None
branch_labels = ("loyalty",)
depends_on = ("core",)

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "loyalty_programme",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("points_expire_months", sa.Integer(), nullable=True),
        sa.Column("qualification_months", sa.Integer(), nullable=False),
        sa.Column("downgrade", sa.String(length=20), nullable=False),
        sa.Column("auto_enrol", sa.Integer(), nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["core_user.id"],
            name=op.f("fk_loyalty_programme_created_by_core_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_programme")),
        sa.UniqueConstraint("name", name=op.f("uq_loyalty_programme_name")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "loyalty_rule",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("programme_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("points_per_unit", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("product_group", sa.String(length=100), nullable=True),
        sa.Column("behaviour", sa.String(length=100), nullable=True),
        sa.Column("points", sa.Integer(), nullable=True),
        sa.Column("max_per_party_per_year", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("active", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["loyalty_programme.id"],
            name=op.f("fk_loyalty_rule_programme_id_loyalty_programme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_rule")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_loyalty_rule_programme_id_kind", "loyalty_rule", ["programme_id", "kind"])
    op.create_table(
        "loyalty_tier",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("programme_id", ID, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("multiplier", sa.Numeric(precision=6, scale=3), nullable=False),
        sa.Column("benefits", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["loyalty_programme.id"],
            name=op.f("fk_loyalty_tier_programme_id_loyalty_programme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_tier")),
        sa.UniqueConstraint("programme_id", "rank", name=op.f("uq_loyalty_tier_programme_id_rank")),
        sa.UniqueConstraint("programme_id", "name", name=op.f("uq_loyalty_tier_programme_id_name")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "loyalty_reward",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("programme_id", ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("min_tier_rank", sa.Integer(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=True),
        sa.Column("active", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["loyalty_programme.id"],
            name=op.f("fk_loyalty_reward_programme_id_loyalty_programme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_reward")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_loyalty_reward_programme_id", "loyalty_reward", ["programme_id"])


def downgrade() -> None:
    op.drop_index("ix_loyalty_reward_programme_id", table_name="loyalty_reward")
    op.drop_table("loyalty_reward")
    op.drop_table("loyalty_tier")
    op.drop_index("ix_loyalty_rule_programme_id_kind", table_name="loyalty_rule")
    op.drop_table("loyalty_rule")
    op.drop_table("loyalty_programme")
