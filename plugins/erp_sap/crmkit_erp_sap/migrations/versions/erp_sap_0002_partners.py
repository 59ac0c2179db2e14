"""Add the partners part's tables.

Revision ID: erp_sap_0002
Revises: erp_sap_0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "erp_sap_0002"
down_revision = "erp_sap_0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "erp_sap_partner",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("system", sa.String(length=40), nullable=False),
        sa.Column("business_partner", sa.String(length=40), nullable=False),
        sa.Column("party_id", ID, nullable=True),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("last_change_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_erp_sap_partner_party_id_core_party"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_sap_partner")),
        sa.UniqueConstraint(
            "system", "business_partner", name=op.f("uq_erp_sap_partner_system_business_partner")
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_erp_sap_partner_party_id", "erp_sap_partner", ["party_id"])
    op.create_table(
        "erp_sap_cursor",
        sa.Column("system", sa.String(length=40), nullable=False),
        sa.Column("entity_set", sa.String(length=100), nullable=False),
        sa.Column("last_change_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_key", sa.String(length=40), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("system", "entity_set", name=op.f("pk_erp_sap_cursor")),
    )
    op.create_table(
        "erp_sap_sync_run",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("system", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("trigger", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_sap_sync_run")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_erp_sap_sync_run_system_status", "erp_sap_sync_run", ["system", "status"])
    op.create_table(
        "erp_sap_sync_failure",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("business_partner", sa.String(length=40), nullable=True),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["erp_sap_sync_run.id"],
            name=op.f("fk_erp_sap_sync_failure_run_id_erp_sap_sync_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_sap_sync_failure")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_erp_sap_sync_failure_run_id_id", "erp_sap_sync_failure", ["run_id", "id"])


def downgrade() -> None:
    op.drop_table("erp_sap_sync_failure")
    op.drop_table("erp_sap_sync_run")
    op.drop_table("erp_sap_cursor")
    op.drop_table("erp_sap_partner")
