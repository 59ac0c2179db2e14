"""Add notifications of alerts, targets and forecast snapshots.

Revision ID: sfa_0003
Revises: sfa_0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "sfa_0003"
down_revision = "sfa_0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sfa_alert",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("subject_id", ID, nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("notification_id", ID, nullable=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["core_user.id"],
            name=op.f("fk_sfa_alert_user_id_core_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sfa_alert")),
        sa.UniqueConstraint(
            "kind",
            "subject_id",
            "since",
            "user_id",
            name=op.f("uq_sfa_alert_kind_subject_id_since_user_id"),
        ),
    )
    op.create_table(
        "sfa_target",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("scope_key", sa.String(length=100), nullable=False),
        sa.Column("period_kind", sa.String(length=10), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("measure", sa.String(length=10), nullable=False),
        sa.Column("value", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("owner_id", ID, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["core_user.id"],
            name=op.f("fk_sfa_target_owner_id_core_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sfa_target")),
        sa.UniqueConstraint(
            "scope",
            "scope_key",
            "period_kind",
            "period_start",
            "measure",
            name=op.f("uq_sfa_target_scope_scope_key_period_kind_period_start_measure"),
        ),
    )
    with op.batch_alter_table("sfa_target", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sfa_target_period_start"), ["period_start"], unique=False
        )

    op.create_table(
        "sfa_forecast_snapshot",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("period_kind", sa.String(length=10), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("owner_id", ID, nullable=True),
        sa.Column("territory", sa.String(length=100), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("open_count", sa.Integer(), nullable=False),
        sa.Column("pipeline", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("weighted", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("commit", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("best_case", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("won", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["core_user.id"],
            name=op.f("fk_sfa_forecast_snapshot_owner_id_core_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sfa_forecast_snapshot")),
    )
    with op.batch_alter_table("sfa_forecast_snapshot", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sfa_forecast_snapshot_period_kind_period_start_taken_on"),
            ["period_kind", "period_start", "taken_on"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("sfa_forecast_snapshot", schema=None) as batch_op:
        batch_op.drop_index(
            batch_op.f("ix_sfa_forecast_snapshot_period_kind_period_start_taken_on")
        )
    op.drop_table("sfa_forecast_snapshot")
    with op.batch_alter_table("sfa_target", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sfa_target_period_start"))
    op.drop_table("sfa_target")
    op.drop_table("sfa_alert")
