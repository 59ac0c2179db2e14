"""Keep the history of external ids a source re-points to another party.

Revision ID: core_0008
Revises: core_0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "core_0008"
down_revision = "core_0007"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "core_external_id_change",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("system", sa.String(length=100), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("from_party_id", ID, nullable=False),
        sa.Column("to_party_id", ID, nullable=False),
        sa.Column("reason", sa.String(length=10), nullable=False),
        sa.Column("changed_by", sa.String(length=150), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_external_id_change")),
    )
    with op.batch_alter_table("core_external_id_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_core_external_id_change_system_external_id_id"),
            ["system", "external_id", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_core_external_id_change_from_party_id"), ["from_party_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_core_external_id_change_to_party_id"), ["to_party_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("core_external_id_change")
