"""Add the orders part's tables.

Revision ID: erp_sap_0003
Revises: erp_sap_0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "erp_sap_0003"
down_revision = "erp_sap_0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "erp_sap_order_push",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("party_id", ID, nullable=True),
        sa.Column("system", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("reference", sa.String(length=35), nullable=False),
        sa.Column("sap_order", sa.String(length=10), nullable=True),
        sa.Column("sap_status", JSON, nullable=True),
        sa.Column("erp_status", sa.String(length=20), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_erp_sap_order_push_party_id_core_party"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_sap_order_push")),
        sa.UniqueConstraint("order_id", name=op.f("uq_erp_sap_order_push_order_id")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_erp_sap_order_push_state_next_attempt_at",
        "erp_sap_order_push",
        ["state", "next_attempt_at"],
    )
    op.create_index("ix_erp_sap_order_push_party_id", "erp_sap_order_push", ["party_id"])


def downgrade() -> None:
    op.drop_index("ix_erp_sap_order_push_party_id", table_name="erp_sap_order_push")
    op.drop_index("ix_erp_sap_order_push_state_next_attempt_at", table_name="erp_sap_order_push")
    op.drop_table("erp_sap_order_push")
