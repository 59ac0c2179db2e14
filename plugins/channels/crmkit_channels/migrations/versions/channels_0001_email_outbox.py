"""Add the outbox of emails.

Revision ID: channels_0001
Revises: (none: the base of the channels branch)
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "channels_0001"
down_revision = None
branch_labels = ("channels",)
depends_on = "core"

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "channels_email",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("party_id", ID, nullable=False),
        sa.Column("purpose", sa.String(length=50), nullable=False),
        sa.Column("transactional", sa.Boolean(), nullable=False),
        sa.Column("template", sa.String(length=100), nullable=True),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(length=250), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("variables", JSON, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sending_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_channels_email_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels_email")),
        sa.UniqueConstraint("message_id", name=op.f("uq_channels_email_message_id")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_channels_email_due",
        "channels_email",
        ["status", "next_attempt_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_channels_email_party_id_id"), "channels_email", ["party_id", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_channels_email_party_id_id"), table_name="channels_email")
    op.drop_index("ix_channels_email_due", table_name="channels_email")
    op.drop_table("channels_email")
