"""Add opportunities, their stage history, activities and API-defined pipelines.

Revision ID: sfa_0001
Revises: (none: the base of the sfa branch)
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "sfa_0001"
down_revision = None
branch_labels = ("sfa",)
depends_on = "core"

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "sfa_pipeline",
        sa.Column("key", sa.String(length=50), nullable=False),
        sa.Column("definition", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sfa_pipeline")),
    )
    op.create_table(
        "sfa_opportunity",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("party_id", ID, nullable=False),
        sa.Column("pipeline", sa.String(length=50), nullable=False),
        sa.Column("stage", sa.String(length=50), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column("expected_close", sa.Date(), nullable=True),
        sa.Column("owner_id", ID, nullable=True),
        sa.Column("territory", sa.String(length=50), nullable=True),
        sa.Column("team", sa.String(length=100), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("lost_reason", sa.String(length=500), nullable=True),
        sa.Column("products", JSON, nullable=False),
        sa.Column("contacts", JSON, nullable=False),
        sa.Column("milestones", JSON, nullable=False),
        sa.Column("stage_entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("custom", JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["core_user.id"], name=op.f("fk_sfa_opportunity_owner_id_core_user")
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_sfa_opportunity_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sfa_opportunity")),
    )
    op.create_index(
        "ix_sfa_opportunity_open_by_close",
        "sfa_opportunity",
        ["status", "expected_close", "currency", "probability", "amount", "owner_id"],
        unique=False,
    )
    op.create_index(
        "ix_sfa_opportunity_closed",
        "sfa_opportunity",
        ["status", "closed_at", "currency", "amount", "owner_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_sfa_opportunity_owner_id_status"),
        "sfa_opportunity",
        ["owner_id", "status"],
        unique=False,
    )
    op.create_index(
        op.f("ix_sfa_opportunity_party_id"), "sfa_opportunity", ["party_id"], unique=False
    )
    op.create_index(
        "ix_sfa_opportunity_board",
        "sfa_opportunity",
        ["pipeline", "status", "stage", "currency", "amount"],
        unique=False,
    )
    op.create_table(
        "sfa_activity",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("party_id", ID, nullable=False),
        sa.Column("opportunity_id", ID, nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("owner_id", ID, nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("location", sa.String(length=300), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("outcome", sa.String(length=300), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("playbook_step", sa.String(length=101), nullable=True),
        sa.Column("ical_uid", sa.String(length=255), nullable=True),
        sa.Column("interaction_id", ID, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["core_interaction.id"],
            name=op.f("fk_sfa_activity_interaction_id_core_interaction"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["sfa_opportunity.id"],
            name=op.f("fk_sfa_activity_opportunity_id_sfa_opportunity"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["core_user.id"], name=op.f("fk_sfa_activity_owner_id_core_user")
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_sfa_activity_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sfa_activity")),
    )
    op.create_index(
        op.f("ix_sfa_activity_opportunity_id"), "sfa_activity", ["opportunity_id"], unique=False
    )
    op.create_index(
        op.f("ix_sfa_activity_owner_id_ical_uid"),
        "sfa_activity",
        ["owner_id", "ical_uid"],
        unique=False,
    )
    op.create_index(
        op.f("ix_sfa_activity_owner_id_status_due_at"),
        "sfa_activity",
        ["owner_id", "status", "due_at"],
        unique=False,
    )
    op.create_index(op.f("ix_sfa_activity_party_id"), "sfa_activity", ["party_id"], unique=False)
    op.create_table(
        "sfa_stage_change",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("opportunity_id", ID, nullable=False),
        sa.Column("from_stage", sa.String(length=50), nullable=True),
        sa.Column("to_stage", sa.String(length=50), nullable=False),
        sa.Column("changed_by", ID, nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by"], ["core_user.id"], name=op.f("fk_sfa_stage_change_changed_by_core_user")
        ),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["sfa_opportunity.id"],
            name=op.f("fk_sfa_stage_change_opportunity_id_sfa_opportunity"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sfa_stage_change")),
    )
    op.create_index(
        op.f("ix_sfa_stage_change_opportunity_id_changed_at"),
        "sfa_stage_change",
        ["opportunity_id", "changed_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_sfa_stage_change_opportunity_id_changed_at"), table_name="sfa_stage_change"
    )
    op.drop_table("sfa_stage_change")
    op.drop_index(op.f("ix_sfa_activity_party_id"), table_name="sfa_activity")
    op.drop_index(op.f("ix_sfa_activity_owner_id_status_due_at"), table_name="sfa_activity")
    op.drop_index(op.f("ix_sfa_activity_owner_id_ical_uid"), table_name="sfa_activity")
    op.drop_index(op.f("ix_sfa_activity_opportunity_id"), table_name="sfa_activity")
    op.drop_table("sfa_activity")
    op.drop_index("ix_sfa_opportunity_board", table_name="sfa_opportunity")
    op.drop_index(op.f("ix_sfa_opportunity_party_id"), table_name="sfa_opportunity")
    op.drop_index(op.f("ix_sfa_opportunity_owner_id_status"), table_name="sfa_opportunity")
    op.drop_index("ix_sfa_opportunity_open_by_close", table_name="sfa_opportunity")
    op.drop_index("ix_sfa_opportunity_closed", table_name="sfa_opportunity")
    op.drop_table("sfa_opportunity")
    op.drop_table("sfa_pipeline")
