"""Add the triggers part's tables.

Revision ID: campaigns_0005
Revises: campaigns_0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "campaigns_0005"
down_revision = "campaigns_0004"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "campaigns_trigger_run",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("campaign_id", ID, nullable=False),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("entered", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns_campaign.id"],
            name=op.f("fk_campaigns_trigger_run_campaign_id_campaigns_campaign"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns_trigger_run")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_campaigns_trigger_run_campaign_id_id", "campaigns_trigger_run", ["campaign_id", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_campaigns_trigger_run_campaign_id_id", table_name="campaigns_trigger_run")
    op.drop_table("campaigns_trigger_run")
