"""Add assets, service contracts and their visits, technicians and dispatches.

Revision ID: service_0003
Revises: service_0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "service_0003"
down_revision = "service_0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "service_asset",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("party_id", ID, nullable=False),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("serial_number", sa.String(length=64), nullable=True),
        sa.Column("vin", sa.String(length=17), nullable=True),
        sa.Column("purchase_date", sa.Date(), nullable=True),
        sa.Column("warranty_end", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "serial_number IS NOT NULL OR vin IS NOT NULL",
            name=op.f("ck_service_asset_serial_number_or_vin"),
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_service_asset_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_asset")),
        sa.UniqueConstraint("vin", name=op.f("uq_service_asset_vin")),
        sa.UniqueConstraint(
            "product", "serial_number", name=op.f("uq_service_asset_product_serial_number")
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_service_asset_party_id", "service_asset", ["party_id"])
    op.create_table(
        "service_contract",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("party_id", ID, nullable=False),
        sa.Column("asset_id", ID, nullable=True),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("visits_included", sa.Integer(), nullable=False),
        sa.Column("penalty_terms", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_service_contract_period")),
        sa.CheckConstraint(
            "visits_included >= 0", name=op.f("ck_service_contract_visits_included")
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["service_asset.id"],
            name=op.f("fk_service_contract_asset_id_service_asset"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_service_contract_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_contract")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_service_contract_party_id_ends_on", "service_contract", ["party_id", "ends_on"]
    )
    op.create_index("ix_service_contract_asset_id", "service_contract", ["asset_id"])
    op.create_table(
        "service_technician",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("user_id", ID, nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("territories", JSON, nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["core_user.id"],
            name=op.f("fk_service_technician_user_id_core_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_technician")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "service_working_window",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("technician_id", ID, nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.CheckConstraint(
            "weekday BETWEEN 1 AND 7", name=op.f("ck_service_working_window_weekday")
        ),
        sa.CheckConstraint("ends > starts", name=op.f("ck_service_working_window_window")),
        sa.ForeignKeyConstraint(
            ["technician_id"],
            ["service_technician.id"],
            name=op.f("fk_service_working_window_technician_id_service_technician"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_working_window")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_service_working_window_technician_id", "service_working_window", ["technician_id"]
    )
    op.create_table(
        "service_dispatch",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("party_id", ID, nullable=False),
        sa.Column("asset_id", ID, nullable=True),
        sa.Column("technician_id", ID, nullable=True),
        sa.Column("address", JSON, nullable=False),
        sa.Column("territory", sa.String(length=40), nullable=False),
        sa.Column("urgency", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("scheduled_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scheduled_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("entitlement", sa.String(length=24), nullable=False),
        sa.Column("contract_id", ID, nullable=True),
        sa.Column("billable", sa.Boolean(), nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("on_site_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "scheduled_end > scheduled_start", name=op.f("ck_service_dispatch_slot")
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["service_asset.id"],
            name=op.f("fk_service_dispatch_asset_id_service_asset"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["service_case.id"],
            name=op.f("fk_service_dispatch_case_id_service_case"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["service_contract.id"],
            name=op.f("fk_service_dispatch_contract_id_service_contract"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["core_user.id"],
            name=op.f("fk_service_dispatch_created_by_core_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_service_dispatch_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["technician_id"],
            ["service_technician.id"],
            name=op.f("fk_service_dispatch_technician_id_service_technician"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_dispatch")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_service_dispatch_case_id", "service_dispatch", ["case_id"])
    op.create_index("ix_service_dispatch_party_id", "service_dispatch", ["party_id"])
    op.create_index(
        "ix_service_dispatch_technician_id_status_scheduled_start",
        "service_dispatch",
        ["technician_id", "status", "scheduled_start"],
    )
    op.create_index(
        "ix_service_dispatch_status_territory", "service_dispatch", ["status", "territory"]
    )
    op.create_table(
        "service_contract_visit",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("contract_id", ID, nullable=False),
        sa.Column("dispatch_id", ID, nullable=True),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["service_contract.id"],
            name=op.f("fk_service_contract_visit_contract_id_service_contract"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dispatch_id"],
            ["service_dispatch.id"],
            name=op.f("fk_service_contract_visit_dispatch_id_service_dispatch"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_contract_visit")),
        sa.UniqueConstraint("dispatch_id", name=op.f("uq_service_contract_visit_dispatch_id")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_service_contract_visit_contract_id", "service_contract_visit", ["contract_id"]
    )


def downgrade() -> None:
    for table in (
        "service_contract_visit",
        "service_dispatch",
        "service_working_window",
        "service_technician",
        "service_contract",
        "service_asset",
    ):
        op.drop_table(table)
