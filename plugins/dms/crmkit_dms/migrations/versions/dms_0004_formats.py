"""Add the formats part's tables.

Revision ID: dms_0004
Revises: dms_0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "dms_0004"
down_revision = "dms_0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "dms_document",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("document_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("taken", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("results", JSON, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("assignment_id", ID, sa.ForeignKey("dms_assignment.id", ondelete="SET NULL")),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", WHEN),
        sa.Column("received_at", WHEN, nullable=False),
        sa.UniqueConstraint("source", "direction", "document_hash"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_dms_document_received_at", "dms_document", ["received_at"])
    op.create_index(
        "ix_dms_document_direction_status_next_attempt_at",
        "dms_document",
        ["direction", "status", "next_attempt_at"],
    )
    op.create_table(
        "dms_document_lead",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column(
            "document_id",
            ID,
            sa.ForeignKey("dms_document.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "party_id", ID, sa.ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_dms_document_lead_party_id", "dms_document_lead", ["party_id"])
    op.create_index("ix_dms_document_lead_document_id", "dms_document_lead", ["document_id"])


def downgrade() -> None:
    op.drop_table("dms_document_lead")
    op.drop_table("dms_document")
