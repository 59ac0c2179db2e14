"""Add outbound webhooks: subscriptions, their deliveries, and how far the outbox was read.

Revision ID: core_0007
Revises: core_0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "core_0007"
down_revision = "core_0006"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "core_webhook_cursor",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("last_event_id", ID, nullable=False),
        sa.Column("gap_until", ID, nullable=True),
        sa.Column("gap_horizon", sa.BigInteger(), nullable=True),
        sa.Column("gap_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_core_webhook_cursor")),
    )
    op.create_table(
        "core_webhook_subscription",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("event_types", JSON, nullable=False),
        sa.Column("entity", sa.String(length=100), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("owner_id", ID, nullable=True),
        sa.Column("after_event_id", ID, nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["core_user.id"],
            name=op.f("fk_core_webhook_subscription_owner_id_core_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_webhook_subscription")),
    )
    op.create_table(
        "core_webhook_delivery",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("subscription_id", ID, nullable=False),
        sa.Column("event_id", ID, nullable=False),
        sa.Column("order_key", sa.String(length=210), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["core_webhook_subscription.id"],
            name=op.f("fk_core_webhook_delivery_subscription_id_core_webhook_subscription"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_webhook_delivery")),
        sa.UniqueConstraint(
            "subscription_id",
            "event_id",
            name=op.f("uq_core_webhook_delivery_subscription_id_event_id"),
        ),
    )
    with op.batch_alter_table("core_webhook_delivery", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_core_webhook_delivery_status_next_attempt_at"),
            ["status", "next_attempt_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_core_webhook_delivery_subscription_id_order_key_id"),
            ["subscription_id", "order_key", "id"],
            unique=False,
        )


def downgrade() -> None:
    op.drop_table("core_webhook_delivery")
    op.drop_table("core_webhook_subscription")
    op.drop_table("core_webhook_cursor")
