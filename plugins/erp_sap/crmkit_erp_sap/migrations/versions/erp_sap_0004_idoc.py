"""Add the idoc part's tables.

Revision ID: erp_sap_0004
Revises: erp_sap_0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "erp_sap_0004"
down_revision = "erp_sap_0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "erp_sap_idoc_file",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("message_type", sa.String(length=30), nullable=True),
        sa.Column("idoc_type", sa.String(length=30), nullable=True),
        sa.Column("docnum", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("idocs", sa.Integer(), nullable=False),
        sa.Column("applied", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_sap_idoc_file")),
        sa.UniqueConstraint("sha256", name=op.f("uq_erp_sap_idoc_file_sha256")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "erp_sap_idoc",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("file_id", ID, nullable=False),
        sa.Column("system", sa.String(length=64), nullable=False),
        sa.Column("docnum", sa.String(length=16), nullable=False),
        sa.Column("message_type", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("field", sa.String(length=100), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["erp_sap_idoc_file.id"],
            name=op.f("fk_erp_sap_idoc_file_id_erp_sap_idoc_file"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_sap_idoc")),
        sa.UniqueConstraint("system", "docnum", name=op.f("uq_erp_sap_idoc_system_docnum")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_erp_sap_idoc_file_id", "erp_sap_idoc", ["file_id"])


def downgrade() -> None:
    op.drop_index("ix_erp_sap_idoc_file_id", table_name="erp_sap_idoc")
    op.drop_table("erp_sap_idoc")
    op.drop_table("erp_sap_idoc_file")
