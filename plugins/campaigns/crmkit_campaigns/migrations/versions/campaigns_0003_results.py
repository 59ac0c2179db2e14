"""Add the results part's tables.

Revision ID: campaigns_0003
Revises: campaigns_0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "campaigns_0003"
down_revision = "campaigns_0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "campaigns_cost",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("campaign_id", ID, nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=True),
        sa.Column("spent_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns_campaign.id"],
            name=op.f("fk_campaigns_cost_campaign_id_campaigns_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["core_user.id"], name=op.f("fk_campaigns_cost_created_by_core_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns_cost")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_campaigns_cost_campaign_id"), "campaigns_cost", ["campaign_id"], unique=False
    )
    op.create_table(
        "campaigns_response",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("campaign_id", ID, nullable=False),
        sa.Column("member_id", ID, nullable=True),
        sa.Column("party_id", ID, nullable=False),
        sa.Column("via", sa.String(length=10), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("was_prospect", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("consents", JSON, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns_campaign.id"],
            name=op.f("fk_campaigns_response_campaign_id_campaigns_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["campaigns_member.id"],
            name=op.f("fk_campaigns_response_member_id_campaigns_member"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_campaigns_response_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns_response")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_campaigns_response_campaign_id_received_at"),
        "campaigns_response",
        ["campaign_id", "received_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_campaigns_response_party_id"), "campaigns_response", ["party_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_campaigns_response_party_id"), table_name="campaigns_response")
    op.drop_index(
        op.f("ix_campaigns_response_campaign_id_received_at"), table_name="campaigns_response"
    )
    op.drop_table("campaigns_response")
    op.drop_index(op.f("ix_campaigns_cost_campaign_id"), table_name="campaigns_cost")
    op.drop_table("campaigns_cost")
