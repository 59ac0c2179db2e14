"""Add the receipts of signed requests: the ids a plugin's public route has taken.

Revision ID: core_0009
Revises: core_0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "core_0009"
down_revision = "core_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "core_signed_receipt",
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", "message_id", name=op.f("pk_core_signed_receipt")),
    )
    with op.batch_alter_table("core_signed_receipt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_core_signed_receipt_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("core_signed_receipt")
