"""Add the size column (written beside the other 0001 child: a second head).

Revision ID: forked_demo_0003
Revises: forked_demo_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "forked_demo_0003"
down_revision = "forked_demo_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("forked_demo_entry") as batch_op:
        batch_op.add_column(sa.Column("size", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("forked_demo_entry") as batch_op:
        batch_op.drop_column("size")
