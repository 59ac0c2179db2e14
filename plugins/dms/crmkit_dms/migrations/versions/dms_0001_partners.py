"""Add the partners part's tables.

Revision ID: dms_0001
Revises: (none: the base of the branch)
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "dms_0001"
down_revision = None
branch_labels = ("dms",)
depends_on = ("core",)

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "dms_partner",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("party_id", ID, nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("capacity_per_day", sa.Integer(), nullable=True),
        sa.Column("opening_hours", JSON, nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("accepts_fallback", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"], ["core_party.id"], name=op.f("fk_dms_partner_party_id_core_party")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dms_partner")),
        sa.UniqueConstraint("party_id", name=op.f("uq_dms_partner_party_id")),
        sa.UniqueConstraint("code", name=op.f("uq_dms_partner_code")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "dms_partner_brand",
        sa.Column("partner_id", ID, nullable=False),
        sa.Column("brand", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["dms_partner.id"],
            name=op.f("fk_dms_partner_brand_partner_id_dms_partner"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("partner_id", "brand", name=op.f("pk_dms_partner_brand")),
    )
    op.create_table(
        "dms_partner_region",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("partner_id", ID, nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("postcode_prefix", sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["dms_partner.id"],
            name=op.f("fk_dms_partner_region_partner_id_dms_partner"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dms_partner_region")),
        sa.UniqueConstraint(
            "partner_id",
            "country",
            "postcode_prefix",
            name=op.f("uq_dms_partner_region_partner_id_country_postcode_prefix"),
        ),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "dms_partner_user",
        sa.Column("user_id", ID, nullable=False),
        sa.Column("partner_id", ID, nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["core_user.id"],
            name=op.f("fk_dms_partner_user_user_id_core_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["dms_partner.id"],
            name=op.f("fk_dms_partner_user_partner_id_dms_partner"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_dms_partner_user")),
    )


def downgrade() -> None:
    op.drop_table("dms_partner_user")
    op.drop_table("dms_partner_region")
    op.drop_table("dms_partner_brand")
    op.drop_table("dms_partner")
