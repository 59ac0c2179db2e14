"""Index the members by when their tier is next reviewed.

Revision ID: loyalty_0004
Revises: loyalty_0003
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "loyalty_0004"
down_revision = "loyalty_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_loyalty_member_tier_review_on", "loyalty_member", ["tier_review_on"])


def downgrade() -> None:
    op.drop_index("ix_loyalty_member_tier_review_on", table_name="loyalty_member")
