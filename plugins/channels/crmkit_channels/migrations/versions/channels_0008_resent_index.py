"""Index the messages by the one they resend: the log tells from it whether a message was resent.

Revision ID: channels_0008
Revises: channels_0007
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "channels_0008"
down_revision = "channels_0007"
branch_labels = None
depends_on = None

TABLES = ("channels_email", "channels_sms")


def upgrade() -> None:
    for table in TABLES:
        op.create_index(op.f(f"ix_{table}_resent_from_id"), table, ["resent_from_id"])


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(op.f(f"ix_{table}_resent_from_id"), table_name=table)
