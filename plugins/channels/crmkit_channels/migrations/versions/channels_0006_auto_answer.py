"""Add auto-answers: what was decided for each inbound email, and the reply sent if any.

Revision ID: channels_0006
Revises: channels_0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "channels_0006"
down_revision = "channels_0005"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "channels_auto_answer",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("inbound_email_id", ID, nullable=False),
        sa.Column("sender", sa.String(length=320), nullable=True),
        sa.Column("rule", sa.String(length=100), nullable=True),
        sa.Column("email_id", ID, nullable=True),
        sa.Column("outcome", sa.String(length=200), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["inbound_email_id"],
            ["channels_inbound_email.id"],
            name=op.f("fk_channels_auto_answer_inbound_email_id_channels_inbound_email"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["email_id"],
            ["channels_email.id"],
            name=op.f("fk_channels_auto_answer_email_id_channels_email"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels_auto_answer")),
        sa.UniqueConstraint(
            "inbound_email_id", name=op.f("uq_channels_auto_answer_inbound_email_id")
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_channels_auto_answer_sender_decided_at",
        "channels_auto_answer",
        ["sender", "decided_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_channels_auto_answer_sender_decided_at", table_name="channels_auto_answer")
    op.drop_table("channels_auto_answer")
