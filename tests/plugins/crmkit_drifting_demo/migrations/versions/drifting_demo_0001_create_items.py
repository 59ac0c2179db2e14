"""Create the item table (without the ``colour`` column the table declares).

Revision ID: drifting_demo_0001
Revises: (none: the base of the drifting_demo branch)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "drifting_demo_0001"
down_revision = None
branch_labels = ("drifting_demo",)
depends_on = "core"


def upgrade() -> None:
    op.create_table(
        "drifting_demo_item",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drifting_demo_item")),
    )


def downgrade() -> None:
    op.drop_table("drifting_demo_item")
