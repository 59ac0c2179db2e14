"""Add the partners part's sales areas (erp_sap_sales_area).

A database that was at erp_sap_0004 gets the table; the partners' hashes changed with the
mapping, so the next run fills it for every partner SAP sends (``crmkit erp_sap sync --full``
for all of them at once).

Revision ID: erp_sap_0005
Revises: erp_sap_0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "erp_sap_0005"
down_revision = "erp_sap_0004"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "erp_sap_sales_area",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("system", sa.String(length=40), nullable=False),
        sa.Column("business_partner", sa.String(length=40), nullable=False),
        sa.Column("party_id", ID, nullable=False),
        sa.Column("customer", sa.String(length=40), nullable=False),
        sa.Column("sales_organization", sa.String(length=40), nullable=False),
        sa.Column("distribution_channel", sa.String(length=40), nullable=False),
        sa.Column("division", sa.String(length=40), nullable=False),
        sa.Column("customer_group", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=40), nullable=False),
        sa.Column("payment_terms", sa.String(length=40), nullable=False),
        sa.Column("incoterms", sa.String(length=40), nullable=False),
        sa.Column("sales_office", sa.String(length=40), nullable=False),
        sa.Column("sales_group", sa.String(length=40), nullable=False),
        sa.Column("order_block", sa.String(length=40), nullable=False),
        sa.Column("delivery_block", sa.String(length=40), nullable=False),
        sa.Column("billing_block", sa.String(length=40), nullable=False),
        sa.Column("deletion_flag", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_erp_sap_sales_area_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_sap_sales_area")),
        sa.UniqueConstraint(
            "system",
            "business_partner",
            "sales_organization",
            "distribution_channel",
            "division",
            name="uq_erp_sap_sales_area_partner_area",
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_erp_sap_sales_area_party_id", "erp_sap_sales_area", ["party_id"])


def downgrade() -> None:
    op.drop_table("erp_sap_sales_area")
