"""Add templates kept in the database, the subject token of each email (threads a reply without
thread headers) and the link of a resent message to the one it sends again.

Revision ID: channels_0005
Revises: channels_0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = "channels_0005"
down_revision = "channels_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channels_template",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels_template")),
        sa.UniqueConstraint("name", name=op.f("uq_channels_template_name")),
        sqlite_autoincrement=True,
    )
    op.add_column("channels_email", sa.Column("subject_token", sa.String(length=12), nullable=True))
    op.create_index(
        "ix_channels_email_subject_token", "channels_email", ["subject_token"], unique=True
    )
    for table in ("channels_email", "channels_sms"):
        # SQLite rebuilds the table for the foreign key: it must keep never reusing ids.
        with op.batch_alter_table(table, table_kwargs={"sqlite_autoincrement": True}) as batch:
            batch.add_column(sa.Column("resent_from_id", ID, nullable=True))
            batch.create_foreign_key(
                op.f(f"fk_{table}_resent_from_id_{table}"),
                table,
                ["resent_from_id"],
                ["id"],
                ondelete="SET NULL",
            )


def downgrade() -> None:
    for table in ("channels_sms", "channels_email"):
        with op.batch_alter_table(table, table_kwargs={"sqlite_autoincrement": True}) as batch:
            batch.drop_constraint(op.f(f"fk_{table}_resent_from_id_{table}"), type_="foreignkey")
            batch.drop_column("resent_from_id")
    op.drop_index("ix_channels_email_subject_token", table_name="channels_email")
    with op.batch_alter_table(
        "channels_email", table_kwargs={"sqlite_autoincrement": True}
    ) as batch:
        batch.drop_column("subject_token")
    op.drop_table("channels_template")
