"""Add products, price lists, quotations and sales orders.

Revision ID: sfa_0002
Revises: sfa_0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "sfa_0002"
down_revision = "sfa_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sfa_price_list",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sfa_price_list")),
    )
    op.create_table(
        "sfa_product",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("product_group", sa.String(length=64), nullable=True),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("tax_rate", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sfa_product")),
        sa.UniqueConstraint("code", name=op.f("uq_sfa_product_code")),
    )
    op.create_table(
        "sfa_price_list_item",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "price_list_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("min_quantity", sa.Numeric(precision=18, scale=3), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["price_list_id"],
            ["sfa_price_list.id"],
            name=op.f("fk_sfa_price_list_item_price_list_id_sfa_price_list"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["sfa_product.id"],
            name=op.f("fk_sfa_price_list_item_product_id_sfa_product"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sfa_price_list_item")),
        sa.UniqueConstraint(
            "price_list_id",
            "product_id",
            "min_quantity",
            name=op.f("uq_sfa_price_list_item_price_list_id_product_id_min_quantity"),
        ),
    )
    op.create_table(
        "sfa_quotation",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("number", sa.String(length=32), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "supersedes_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "opportunity_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("party_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "price_list_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_net", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("total_tax", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("total_gross", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("terms", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["sfa_opportunity.id"],
            name=op.f("fk_sfa_quotation_opportunity_id_sfa_opportunity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["core_user.id"],
            name=op.f("fk_sfa_quotation_owner_id_core_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_sfa_quotation_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["price_list_id"],
            ["sfa_price_list.id"],
            name=op.f("fk_sfa_quotation_price_list_id_sfa_price_list"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["sfa_quotation.id"],
            name=op.f("fk_sfa_quotation_supersedes_id_sfa_quotation"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sfa_quotation")),
        sa.UniqueConstraint("number", "version", name=op.f("uq_sfa_quotation_number_version")),
    )
    with op.batch_alter_table("sfa_quotation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sfa_quotation_opportunity_id"), ["opportunity_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sfa_quotation_party_id"), ["party_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sfa_quotation_status_valid_until"),
            ["status", "valid_until"],
            unique=False,
        )
    op.create_table(
        "sfa_order",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column(
            "quotation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "opportunity_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("party_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_net", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("total_tax", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("total_gross", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erp_status", sa.String(length=16), nullable=True),
        sa.Column("erp_reference", sa.String(length=100), nullable=True),
        sa.Column("erp_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["sfa_opportunity.id"],
            name=op.f("fk_sfa_order_opportunity_id_sfa_opportunity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["core_user.id"],
            name=op.f("fk_sfa_order_owner_id_core_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_sfa_order_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["quotation_id"],
            ["sfa_quotation.id"],
            name=op.f("fk_sfa_order_quotation_id_sfa_quotation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sfa_order")),
        sa.UniqueConstraint("number", name=op.f("uq_sfa_order_number")),
        sa.UniqueConstraint("quotation_id", name=op.f("uq_sfa_order_quotation_id")),
    )
    with op.batch_alter_table("sfa_order", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sfa_order_party_id"), ["party_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sfa_order_placed_at"), ["placed_at"], unique=False)
    op.create_table(
        "sfa_quotation_line",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "quotation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=3), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("discount", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("tax_rate", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("net", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("tax", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("gross", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("requested_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["sfa_product.id"],
            name=op.f("fk_sfa_quotation_line_product_id_sfa_product"),
        ),
        sa.ForeignKeyConstraint(
            ["quotation_id"],
            ["sfa_quotation.id"],
            name=op.f("fk_sfa_quotation_line_quotation_id_sfa_quotation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sfa_quotation_line")),
        sa.UniqueConstraint(
            "quotation_id", "position", name=op.f("uq_sfa_quotation_line_quotation_id_position")
        ),
    )
    op.create_table(
        "sfa_order_line",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("product_code", sa.String(length=64), nullable=False),
        sa.Column("product_group", sa.String(length=64), nullable=True),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=3), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("discount", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("tax_rate", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("net", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("tax", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("gross", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("requested_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["sfa_order.id"],
            name=op.f("fk_sfa_order_line_order_id_sfa_order"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["sfa_product.id"],
            name=op.f("fk_sfa_order_line_product_id_sfa_product"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sfa_order_line")),
        sa.UniqueConstraint(
            "order_id", "position", name=op.f("uq_sfa_order_line_order_id_position")
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("sfa_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sfa_order_placed_at"))
        batch_op.drop_index(batch_op.f("ix_sfa_order_party_id"))
    with op.batch_alter_table("sfa_quotation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sfa_quotation_status_valid_until"))
        batch_op.drop_index(batch_op.f("ix_sfa_quotation_party_id"))
        batch_op.drop_index(batch_op.f("ix_sfa_quotation_opportunity_id"))
    for name in (
        "sfa_order_line",
        "sfa_quotation_line",
        "sfa_order",
        "sfa_quotation",
        "sfa_price_list_item",
        "sfa_product",
        "sfa_price_list",
    ):
        op.drop_table(name)
