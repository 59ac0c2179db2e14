"""Add the webhooks part's table: the inbox of delivered changes.

Revision ID: social_0002
Revises: social_0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "social_0002"
down_revision = "social_0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "social_change",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("object", sa.String(length=40), nullable=False),
        sa.Column("page_id", sa.String(length=64), nullable=False),
        sa.Column("field", sa.String(length=60), nullable=False),
        sa.Column("value", JSON, nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("account_id", ID, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["social_account.id"],
            name=op.f("fk_social_change_account_id_social_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_change")),
        sa.UniqueConstraint("key", name=op.f("uq_social_change_key")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("social_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_social_change_state_next_try_at"), ["state", "next_try_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_social_change_page_id_received_at"),
            ["page_id", "received_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("social_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_social_change_page_id_received_at"))
        batch_op.drop_index(batch_op.f("ix_social_change_state_next_try_at"))
    op.drop_table("social_change")
