"""Add the outbox of text messages (SMS) and the log of those received.

Revision ID: channels_0002
Revises: channels_0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "channels_0002"
down_revision = "channels_0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "channels_sms",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("party_id", ID, nullable=False),
        sa.Column("purpose", sa.String(length=50), nullable=False),
        sa.Column("transactional", sa.Boolean(), nullable=False),
        sa.Column("template", sa.String(length=100), nullable=True),
        sa.Column("recipient", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("encoding", sa.String(length=10), nullable=False),
        sa.Column("segments", sa.Integer(), nullable=False),
        sa.Column("variables", JSON, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("sid", sa.String(length=64), nullable=True),
        sa.Column("gateway_status", sa.String(length=20), nullable=True),
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
            name=op.f("fk_channels_sms_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels_sms")),
        sa.UniqueConstraint("sid", name=op.f("uq_channels_sms_sid")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_channels_sms_due", "channels_sms", ["status", "next_attempt_at", "id"], unique=False
    )
    op.create_index(
        op.f("ix_channels_sms_party_id_id"), "channels_sms", ["party_id", "id"], unique=False
    )
    op.create_table(
        "channels_sms_received",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("party_id", ID, nullable=True),
        sa.Column("sender", sa.String(length=20), nullable=False),
        sa.Column("recipient", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("keyword", sa.String(length=20), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_channels_sms_received_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels_sms_received")),
        sa.UniqueConstraint("sid", name=op.f("uq_channels_sms_received_sid")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_channels_sms_received_party_id_id"),
        "channels_sms_received",
        ["party_id", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_channels_sms_received_party_id_id"), table_name="channels_sms_received")
    op.drop_table("channels_sms_received")
    op.drop_index(op.f("ix_channels_sms_party_id_id"), table_name="channels_sms")
    op.drop_index("ix_channels_sms_due", table_name="channels_sms")
    op.drop_table("channels_sms")
