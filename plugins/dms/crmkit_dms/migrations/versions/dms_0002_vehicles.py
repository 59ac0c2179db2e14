"""Add the vehicles part's tables.

Revision ID: dms_0002
Revises: dms_0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "dms_0002"
down_revision = "dms_0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "dms_vehicle",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("make", sa.String(length=60), nullable=True),
        sa.Column("model", sa.String(length=80), nullable=True),
        sa.Column("model_year", sa.Integer(), nullable=True),
        sa.Column("trim", sa.String(length=80), nullable=True),
        sa.Column("fuel", sa.String(length=30), nullable=True),
        sa.Column("colour", sa.String(length=40), nullable=True),
        sa.Column("first_registration", sa.Date(), nullable=True),
        sa.Column("warranty_until", sa.Date(), nullable=True),
        sa.Column("mileage", sa.Integer(), nullable=True),
        sa.Column("mileage_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_service_on", sa.Date(), nullable=True),
        sa.Column("last_service_mileage", sa.Integer(), nullable=True),
        sa.Column("service_due_on", sa.Date(), nullable=True),
        sa.Column("service_due_known_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dms_vehicle")),
        sa.UniqueConstraint("vin", name=op.f("uq_dms_vehicle_vin")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_dms_vehicle_make_model", "dms_vehicle", ["make", "model"])
    op.create_index("ix_dms_vehicle_service_due_on", "dms_vehicle", ["service_due_on"])
    op.create_index("ix_dms_vehicle_warranty_until", "dms_vehicle", ["warranty_until"])
    op.create_table(
        "dms_vehicle_owner",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("vehicle_id", ID, nullable=False),
        sa.Column("party_id", ID, nullable=False),
        sa.Column("relationship", sa.String(length=10), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["dms_vehicle.id"],
            name=op.f("fk_dms_vehicle_owner_vehicle_id_dms_vehicle"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_dms_vehicle_owner_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dms_vehicle_owner")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_dms_vehicle_owner_vehicle_id_relationship",
        "dms_vehicle_owner",
        ["vehicle_id", "relationship"],
    )
    op.create_index("ix_dms_vehicle_owner_party_id", "dms_vehicle_owner", ["party_id"])
    op.create_table(
        "dms_repair_order",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("vehicle_id", ID, nullable=False),
        sa.Column("party_id", ID, nullable=True),
        sa.Column("partner_id", ID, nullable=True),
        sa.Column("partner_key", ID, nullable=False),
        sa.Column("ro_number", sa.String(length=40), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mileage", sa.Integer(), nullable=True),
        sa.Column("lines", JSON, nullable=False),
        sa.Column("total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["dms_vehicle.id"],
            name=op.f("fk_dms_repair_order_vehicle_id_dms_vehicle"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_dms_repair_order_party_id_core_party"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["dms_partner.id"],
            name=op.f("fk_dms_repair_order_partner_id_dms_partner"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dms_repair_order")),
        sa.UniqueConstraint(
            "partner_key", "ro_number", name=op.f("uq_dms_repair_order_partner_key_ro_number")
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_dms_repair_order_vehicle_id_opened_at", "dms_repair_order", ["vehicle_id", "opened_at"]
    )
    op.create_index("ix_dms_repair_order_party_id", "dms_repair_order", ["party_id"])


def downgrade() -> None:
    op.drop_table("dms_repair_order")
    op.drop_table("dms_vehicle_owner")
    op.drop_table("dms_vehicle")
