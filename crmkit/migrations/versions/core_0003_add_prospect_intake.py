"""Add prospect intake: quality, findings, score and deadlines on parties; match keys, review queue, merge log.

Revision ID: core_0003
Revises: core_0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "core_0003"
down_revision = "core_0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("core_party", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quality", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("findings", JSON, nullable=True))
        batch_op.add_column(sa.Column("score", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("score_band", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("score_reasons", JSON, nullable=True))
        batch_op.add_column(
            sa.Column("first_contact_due_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("first_contacted_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("expired_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_core_party_first_contact_due_at"), ["first_contact_due_at"], unique=False
        )

    op.create_table(
        "core_match_key",
        sa.Column("party_id", ID, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_core_match_key_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("party_id", "key", name=op.f("pk_core_match_key")),
    )
    with op.batch_alter_table("core_match_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_core_match_key_key"), ["key"], unique=False)

    op.create_table(
        "core_match_review",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("candidate_id", ID, nullable=False),
        sa.Column("existing_id", ID, nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=150), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["core_party.id"],
            name=op.f("fk_core_match_review_candidate_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["existing_id"],
            ["core_party.id"],
            name=op.f("fk_core_match_review_existing_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_match_review")),
    )
    with op.batch_alter_table("core_match_review", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_core_match_review_status_id"), ["status", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_core_match_review_candidate_id"), ["candidate_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_core_match_review_existing_id"), ["existing_id"], unique=False
        )

    op.create_table(
        "core_merge_log",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("survivor_id", ID, nullable=False),
        sa.Column("merged_id", ID, nullable=False),
        sa.Column("merged_name", sa.String(length=300), nullable=False),
        sa.Column("merged_by", sa.String(length=150), nullable=False),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["survivor_id"],
            ["core_party.id"],
            name=op.f("fk_core_merge_log_survivor_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_merge_log")),
    )
    with op.batch_alter_table("core_merge_log", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_core_merge_log_survivor_id_id"), ["survivor_id", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("core_merge_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_core_merge_log_survivor_id_id"))

    op.drop_table("core_merge_log")
    with op.batch_alter_table("core_match_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_core_match_review_existing_id"))
        batch_op.drop_index(batch_op.f("ix_core_match_review_candidate_id"))
        batch_op.drop_index(batch_op.f("ix_core_match_review_status_id"))

    op.drop_table("core_match_review")
    with op.batch_alter_table("core_match_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_core_match_key_key"))

    op.drop_table("core_match_key")
    with op.batch_alter_table("core_party", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_core_party_first_contact_due_at"))
        batch_op.drop_column("expired_at")
        batch_op.drop_column("escalated_at")
        batch_op.drop_column("first_contacted_at")
        batch_op.drop_column("first_contact_due_at")
        batch_op.drop_column("score_reasons")
        batch_op.drop_column("score")
        batch_op.drop_column("score_band")
        batch_op.drop_column("findings")
        batch_op.drop_column("quality")
