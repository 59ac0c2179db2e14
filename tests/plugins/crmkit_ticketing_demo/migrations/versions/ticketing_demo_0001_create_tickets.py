"""Create the ticket table.

Revision ID: ticketing_demo_0001
Revises: (none: the base of the ticketing_demo branch)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ticketing_demo_0001"
down_revision = None
branch_labels = ("ticketing_demo",)
depends_on = "core"

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ticketing_demo_ticket",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("party_id", ID, nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_ticketing_demo_ticket_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketing_demo_ticket")),
    )
    op.create_index(
        op.f("ix_ticketing_demo_ticket_party_id_status"),
        "ticketing_demo_ticket",
        ["party_id", "status"],
    )


def downgrade() -> None:
    op.drop_table("ticketing_demo_ticket")
