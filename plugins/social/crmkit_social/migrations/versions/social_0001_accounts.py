"""Add the accounts part's table: connected pages with their encrypted access tokens.

Revision ID: social_0001
Revises: (none: the base of the social branch)
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "social_0001"
down_revision = None
branch_labels = ("social",)
depends_on = ("core", "channels")

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "social_account",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("page_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("token_cipher", sa.Text(), nullable=False),
        sa.Column("token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("token_state", sa.String(length=10), nullable=False),
        sa.Column("token_problem", sa.String(length=500), nullable=True),
        sa.Column("token_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("subscribed_fields", sa.String(length=200), nullable=False),
        sa.Column("connected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("connected_by", ID, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connected_by"],
            ["core_user.id"],
            name=op.f("fk_social_account_connected_by_core_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_account")),
        sa.UniqueConstraint("page_id", name=op.f("uq_social_account_page_id")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("social_account", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_social_account_active_token_expires_at"),
            ["active", "token_expires_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("social_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_social_account_active_token_expires_at"))
    op.drop_table("social_account")
