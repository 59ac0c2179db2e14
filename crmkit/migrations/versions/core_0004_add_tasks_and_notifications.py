"""Add tasks and notifications: work items for users and messages to them.

Revision ID: core_0004
Revises: core_0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "core_0004"
down_revision = "core_0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "core_task",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("owner_id", ID, nullable=False),
        sa.Column("party_id", ID, nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["core_user.id"],
            name=op.f("fk_core_task_owner_id_core_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_core_task_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_task")),
    )
    with op.batch_alter_table("core_task", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_core_task_owner_id_status_due_at"),
            ["owner_id", "status", "due_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_core_task_party_id"), ["party_id"], unique=False)

    op.create_table(
        "core_notification",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["core_user.id"],
            name=op.f("fk_core_notification_user_id_core_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_notification")),
    )
    with op.batch_alter_table("core_notification", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_core_notification_user_id_read_at_id"),
            ["user_id", "read_at", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("core_notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_core_notification_user_id_read_at_id"))
    op.drop_table("core_notification")
    with op.batch_alter_table("core_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_core_task_party_id"))
        batch_op.drop_index(batch_op.f("ix_core_task_owner_id_status_due_at"))
    op.drop_table("core_task")
