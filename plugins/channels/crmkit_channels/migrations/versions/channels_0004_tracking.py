"""Add tracking: opens, clicks, bounces and complaints of each email, and the suppression list.

Revision ID: channels_0004
Revises: channels_0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "channels_0004"
down_revision = "channels_0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "channels_email_event",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("email_id", ID, nullable=False),
        sa.Column("party_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["email_id"],
            ["channels_email.id"],
            name=op.f("fk_channels_email_event_email_id_channels_email"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_channels_email_event_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels_email_event")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_channels_email_event_email_id_kind"),
        "channels_email_event",
        ["email_id", "kind"],
        unique=False,
    )
    op.create_index(
        op.f("ix_channels_email_event_party_id_id"),
        "channels_email_event",
        ["party_id", "id"],
        unique=False,
    )
    op.create_table(
        "channels_suppression",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("address", sa.String(length=320), nullable=True),
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("email_id", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["email_id"],
            ["channels_email.id"],
            name=op.f("fk_channels_suppression_email_id_channels_email"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels_suppression")),
        sa.UniqueConstraint("address_hash", name=op.f("uq_channels_suppression_address_hash")),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("channels_suppression")
    op.drop_index(op.f("ix_channels_email_event_party_id_id"), table_name="channels_email_event")
    op.drop_index(op.f("ix_channels_email_event_email_id_kind"), table_name="channels_email_event")
    op.drop_table("channels_email_event")
