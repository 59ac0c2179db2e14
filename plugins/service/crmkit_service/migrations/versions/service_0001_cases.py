"""Add cases, their events, links and the category tree.

Revision ID: service_0001
Revises: (none: the base of the service branch)
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "service_0001"
down_revision = None
branch_labels = ("service",)
depends_on = ("core", "channels_0003")  # the inbound mail its events name

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "service_category",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("parent_id", ID, nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["service_category.id"],
            name=op.f("fk_service_category_parent_id_service_category"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_category")),
        sa.UniqueConstraint("parent_id", "name", name=op.f("uq_service_category_parent_id_name")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "service_case",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("party_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category_id", ID, nullable=True),
        sa.Column("product", sa.String(length=200), nullable=True),
        sa.Column("asset_id", ID, nullable=True),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("owner_id", ID, nullable=True),
        sa.Column("team", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("root_cause", sa.String(length=200), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("merged_into_id", ID, nullable=True),
        sa.Column("entitlement_state", sa.String(length=20), nullable=False),
        sa.Column("entitlement_summary", sa.String(length=300), nullable=False),
        sa.Column("billable", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["service_category.id"],
            name=op.f("fk_service_case_category_id_service_category"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["service_case.id"],
            name=op.f("fk_service_case_merged_into_id_service_case"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["core_user.id"], name=op.f("fk_service_case_owner_id_core_user")
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_service_case_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_case")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_service_case_owner_id_status"),
        "service_case",
        ["owner_id", "status"],
        unique=False,
    )
    op.create_index(
        op.f("ix_service_case_team_status"), "service_case", ["team", "status"], unique=False
    )
    op.create_index(
        op.f("ix_service_case_party_id_status"),
        "service_case",
        ["party_id", "status"],
        unique=False,
    )
    op.create_index(
        "ix_service_case_trend",
        "service_case",
        ["created_at", "category_id", "product", "root_cause"],
        unique=False,
    )
    op.create_index(
        op.f("ix_service_case_merged_into_id"), "service_case", ["merged_into_id"], unique=False
    )
    op.create_table(
        "service_case_event",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("data", JSON, nullable=False),
        sa.Column("author_id", ID, nullable=True),
        sa.Column("email_id", ID, nullable=True),
        sa.Column("inbound_email_id", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["core_user.id"], name=op.f("fk_service_case_event_author_id_core_user")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["service_case.id"],
            name=op.f("fk_service_case_event_case_id_service_case"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["email_id"],
            ["channels_email.id"],
            name=op.f("fk_service_case_event_email_id_channels_email"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["inbound_email_id"],
            ["channels_inbound_email.id"],
            name=op.f("fk_service_case_event_inbound_email_id_channels_inbound_email"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_case_event")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_service_case_event_case_id_id"),
        "service_case_event",
        ["case_id", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_service_case_event_email_id"), "service_case_event", ["email_id"], unique=False
    )
    op.create_index(
        op.f("ix_service_case_event_inbound_email_id"),
        "service_case_event",
        ["inbound_email_id"],
        unique=True,
    )
    op.create_table(
        "service_case_link",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("other_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["service_case.id"],
            name=op.f("fk_service_case_link_case_id_service_case"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["other_id"],
            ["service_case.id"],
            name=op.f("fk_service_case_link_other_id_service_case"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["core_user.id"],
            name=op.f("fk_service_case_link_created_by_core_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_case_link")),
        sa.UniqueConstraint(
            "case_id", "other_id", name=op.f("uq_service_case_link_case_id_other_id")
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_service_case_link_other_id"), "service_case_link", ["other_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("service_case_link")
    op.drop_table("service_case_event")
    op.drop_table("service_case")
    op.drop_table("service_category")
