"""Add the leads part's tables: Lead Ads leads taken and the field mapping of each form.

Revision ID: social_0003
Revises: social_0002
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "social_0003"
down_revision = "social_0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "social_lead",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("leadgen_id", sa.String(100), nullable=False, unique=True),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("page_id", sa.String(100), nullable=False),
        sa.Column("account_id", ID),
        sa.Column("form_id", sa.String(100)),
        sa.Column("form_name", sa.String(300)),
        sa.Column("ad_id", sa.String(100)),
        sa.Column("ad_name", sa.String(300)),
        sa.Column("adset_id", sa.String(100)),
        sa.Column("adset_name", sa.String(300)),
        sa.Column("campaign_id", sa.String(100)),
        sa.Column("campaign_name", sa.String(300)),
        sa.Column("is_organic", sa.Boolean()),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("party_id", ID, sa.ForeignKey("core_party.id", ondelete="SET NULL")),
        sa.Column("interaction_id", ID),
        sa.Column("findings", JSON, nullable=False),
        sa.Column("consents", sa.Integer(), nullable=False),
        sa.Column("raw", JSON, nullable=False),
        sa.Column("lead_created_at", WHEN),
        sa.Column("taken_at", WHEN, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_social_lead_party_id", "social_lead", ["party_id"])
    op.create_index("ix_social_lead_form_id_id", "social_lead", ["form_id", "id"])
    op.create_index("ix_social_lead_taken_at", "social_lead", ["taken_at"])
    op.create_table(
        "social_lead_form",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("form_id", sa.String(100), nullable=False, unique=True),
        sa.Column("name", sa.String(300)),
        sa.Column("fields", JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.Column("updated_by", ID, sa.ForeignKey("core_user.id", ondelete="SET NULL")),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("social_lead_form")
    op.drop_index("ix_social_lead_taken_at", table_name="social_lead")
    op.drop_index("ix_social_lead_form_id_id", table_name="social_lead")
    op.drop_index("ix_social_lead_party_id", table_name="social_lead")
    op.drop_table("social_lead")
