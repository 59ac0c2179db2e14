"""Add the progress of each polled IMAP mailbox: its UIDVALIDITY and the highest UID stored.

Revision ID: channels_0007
Revises: channels_0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "channels_0007"
down_revision = "channels_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channels_imap_mailbox",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_channels_imap_mailbox")),
    )


def downgrade() -> None:
    op.drop_table("channels_imap_mailbox")
