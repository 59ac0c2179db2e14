"""Create the entry table.

Revision ID: forked_demo_0001
Revises: (none: the base of the forked_demo branch)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "forked_demo_0001"
down_revision = None
branch_labels = ("forked_demo",)
depends_on = "core"


def upgrade() -> None:
    op.create_table(
        "forked_demo_entry",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forked_demo_entry")),
    )


def downgrade() -> None:
    op.drop_table("forked_demo_entry")
