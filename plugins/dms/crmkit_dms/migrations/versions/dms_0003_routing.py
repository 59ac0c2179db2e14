"""Add the routing part's tables.

Revision ID: dms_0003
Revises: dms_0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "dms_0003"
down_revision = "dms_0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "dms_assignment",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("party_id", ID, nullable=True),
        sa.Column("partner_id", ID, nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("brand", sa.String(length=60), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("postcode", sa.String(length=20), nullable=True),
        sa.Column("vehicle", JSON, nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accept_by", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accept_seconds", sa.Integer(), nullable=True),
        sa.Column("first_contact_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("previous_id", ID, nullable=True),
        sa.Column("routed_by", ID, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_dms_assignment_party_id_core_party"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["dms_partner.id"],
            name=op.f("fk_dms_assignment_partner_id_dms_partner"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["previous_id"],
            ["dms_assignment.id"],
            name=op.f("fk_dms_assignment_previous_id_dms_assignment"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["routed_by"],
            ["core_user.id"],
            name=op.f("fk_dms_assignment_routed_by_core_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dms_assignment")),
        sqlite_autoincrement=True,
    )
    open_only = sa.text("closed_at IS NULL")
    op.create_index(
        "uq_dms_assignment_open_party_id",
        "dms_assignment",
        ["party_id"],
        unique=True,
        sqlite_where=open_only,
        postgresql_where=open_only,
    )
    op.create_index(
        "ix_dms_assignment_partner_id_offered_at", "dms_assignment", ["partner_id", "offered_at"]
    )
    op.create_index("ix_dms_assignment_state_accept_by", "dms_assignment", ["state", "accept_by"])
    op.create_index("ix_dms_assignment_previous_id", "dms_assignment", ["previous_id"])


def downgrade() -> None:
    op.drop_table("dms_assignment")
