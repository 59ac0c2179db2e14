"""Add the profiles part's table: analytics_profile.

Revision ID: analytics_0003
Revises: analytics_0002
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "analytics_0003"
down_revision = "analytics_0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "analytics_profile",
        sa.Column("party_id", ID, nullable=False),
        sa.Column("recency_days", sa.Float(), nullable=False),
        sa.Column("frequency", sa.Integer(), nullable=False),
        sa.Column("monetary", sa.Float(), nullable=False),
        sa.Column("r_score", sa.SmallInteger(), nullable=False),
        sa.Column("f_score", sa.SmallInteger(), nullable=False),
        sa.Column("m_score", sa.SmallInteger(), nullable=False),
        sa.Column("band", sa.String(length=20), nullable=False),
        sa.Column("top_groups", JSON, nullable=False),
        sa.Column("months", JSON, nullable=False),
        sa.Column("preferred_channel", sa.String(length=40), nullable=True),
        sa.Column("last_purchase_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_contact_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_analytics_profile_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("party_id", name=op.f("pk_analytics_profile")),
    )
    with op.batch_alter_table("analytics_profile", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_analytics_profile_band"), ["band"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("analytics_profile", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_analytics_profile_band"))
    op.drop_table("analytics_profile")
