"""Add inbound mail: each message received by ``crmkit channels mail-in`` and its attachments.

Revision ID: channels_0003
Revises: channels_0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "channels_0003"
down_revision = "channels_0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "channels_inbound_email",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("dedup_key", sa.String(length=250), nullable=False),
        sa.Column("message_id", sa.String(length=250), nullable=True),
        sa.Column("envelope_from", sa.String(length=320), nullable=False),
        sa.Column("recipients", JSON, nullable=False),
        sa.Column("sender", sa.String(length=320), nullable=True),
        sa.Column("sender_name", sa.String(length=200), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("auto_reply", sa.Boolean(), nullable=False),
        sa.Column("notes", JSON, nullable=False),
        sa.Column("answers_email_id", ID, nullable=True),
        sa.Column("party_id", ID, nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("routed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["answers_email_id"],
            ["channels_email.id"],
            name=op.f("fk_channels_inbound_email_answers_email_id_channels_email"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_channels_inbound_email_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels_inbound_email")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_channels_inbound_email_dedup_key")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_channels_inbound_email_pending",
        "channels_inbound_email",
        ["status", "received_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_channels_inbound_email_party_id_id"),
        "channels_inbound_email",
        ["party_id", "id"],
        unique=False,
    )
    op.create_table(
        "channels_inbound_attachment",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("inbound_email_id", ID, nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("dropped", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["inbound_email_id"],
            ["channels_inbound_email.id"],
            name=op.f("fk_channels_inbound_attachment_inbound_email_id_channels_inbound_email"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels_inbound_attachment")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_channels_inbound_attachment_inbound_email_id"),
        "channels_inbound_attachment",
        ["inbound_email_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_channels_inbound_attachment_inbound_email_id"),
        table_name="channels_inbound_attachment",
    )
    op.drop_table("channels_inbound_attachment")
    op.drop_index(
        op.f("ix_channels_inbound_email_party_id_id"), table_name="channels_inbound_email"
    )
    op.drop_index("ix_channels_inbound_email_pending", table_name="channels_inbound_email")
    op.drop_table("channels_inbound_email")
