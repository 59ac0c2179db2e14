"""Add the earning part's tables.

Revision ID: loyalty_0003
Revises: loyalty_0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "loyalty_0003"
down_revision = "loyalty_0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "loyalty_referral",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("referred_party_id", ID, nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rewarded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["loyalty_member.id"],
            name=op.f("fk_loyalty_referral_member_id_loyalty_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["referred_party_id"],
            ["core_party.id"],
            name=op.f("fk_loyalty_referral_referred_party_id_core_party"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["core_user.id"], name=op.f("fk_loyalty_referral_created_by_core_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_referral")),
        sa.UniqueConstraint(
            "member_id",
            "referred_party_id",
            name=op.f("uq_loyalty_referral_member_id_referred_party_id"),
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_loyalty_referral_referred_party_id"),
        "loyalty_referral",
        ["referred_party_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_loyalty_referral_referred_party_id"), table_name="loyalty_referral")
    op.drop_table("loyalty_referral")
