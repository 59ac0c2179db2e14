"""Add follow-ups: the callnotes_follow_up table.

Revision ID: callnotes_0001
Revises: (none: the base of the callnotes branch)
Create Date: 2026-11-23 19:35:40.229871
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "callnotes_0001"
down_revision = None
branch_labels = ("callnotes",)
depends_on = "core"


def upgrade() -> None:
    op.create_table(
        "callnotes_follow_up",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("party_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "interaction_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["core_interaction.id"],
            name=op.f("fk_callnotes_follow_up_interaction_id_core_interaction"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["core_user.id"], name=op.f("fk_callnotes_follow_up_owner_id_core_user")
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_callnotes_follow_up_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callnotes_follow_up")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("callnotes_follow_up", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_callnotes_follow_up_done_at_due_on"), ["done_at", "due_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_callnotes_follow_up_party_id_done_at"),
            ["party_id", "done_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("callnotes_follow_up", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_callnotes_follow_up_party_id_done_at"))
        batch_op.drop_index(batch_op.f("ix_callnotes_follow_up_done_at_due_on"))

    op.drop_table("callnotes_follow_up")
