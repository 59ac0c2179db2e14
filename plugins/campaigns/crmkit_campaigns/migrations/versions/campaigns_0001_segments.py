"""Add the segments part's tables.

Revision ID: campaigns_0001
Revises: (none: the base of the campaigns branch)
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "campaigns_0001"
down_revision = None
branch_labels = ("campaigns",)
depends_on = ("core", "channels")

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "campaigns_segment",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("definition", JSON, nullable=False),
        sa.Column("owner_id", ID, nullable=True),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["core_user.id"], name=op.f("fk_campaigns_segment_owner_id_core_user")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["core_user.id"], name=op.f("fk_campaigns_segment_created_by_core_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns_segment")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "campaigns_list",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("owner_id", ID, nullable=True),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["core_user.id"], name=op.f("fk_campaigns_list_owner_id_core_user")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["core_user.id"], name=op.f("fk_campaigns_list_created_by_core_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns_list")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_campaigns_list_kind_id"), "campaigns_list", ["kind", "id"], unique=False
    )
    op.create_table(
        "campaigns_list_member",
        sa.Column("list_id", ID, nullable=False),
        sa.Column("party_id", ID, nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["campaigns_list.id"],
            name=op.f("fk_campaigns_list_member_list_id_campaigns_list"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_campaigns_list_member_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("list_id", "party_id", name=op.f("pk_campaigns_list_member")),
    )
    op.create_index(
        op.f("ix_campaigns_list_member_party_id"),
        "campaigns_list_member",
        ["party_id"],
        unique=False,
    )
    op.create_table(
        "campaigns_list_address",
        sa.Column("list_id", ID, nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["campaigns_list.id"],
            name=op.f("fk_campaigns_list_address_list_id_campaigns_list"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("list_id", "address", name=op.f("pk_campaigns_list_address")),
    )
    op.create_index(
        op.f("ix_campaigns_list_address_address"),
        "campaigns_list_address",
        ["address"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("campaigns_list_address")
    op.drop_table("campaigns_list_member")
    op.drop_table("campaigns_list")
    op.drop_table("campaigns_segment")
