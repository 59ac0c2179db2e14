"""Add the conversations part's tables: threads per sender and page, their messages, page posts.

Revision ID: social_0004
Revises: social_0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "social_0004"
down_revision = "social_0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "social_conversation",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("page_id", sa.String(length=100), nullable=False),
        sa.Column("sender_id", sa.String(length=100), nullable=False),
        sa.Column("sender_name", sa.String(length=200), nullable=True),
        sa.Column("party_id", ID, nullable=False),
        sa.Column("last_inbound_at", WHEN, nullable=True),
        sa.Column("last_message_at", WHEN, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["social_account.id"],
            name=op.f("fk_social_conversation_account_id_social_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_social_conversation_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_conversation")),
        sa.UniqueConstraint(
            "page_id", "sender_id", name=op.f("uq_social_conversation_page_id_sender_id")
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_social_conversation_party_id"), "social_conversation", ["party_id"])
    op.create_index(
        op.f("ix_social_conversation_last_message_at_id"),
        "social_conversation",
        ["last_message_at", "id"],
    )
    op.create_table(
        "social_message",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("conversation_id", ID, nullable=False),
        sa.Column("party_id", ID, nullable=False),
        sa.Column("page_id", sa.String(length=100), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("parent_id", sa.String(length=200), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("occurred_at", WHEN, nullable=False),
        sa.Column("outbound_id", ID, nullable=True),
        sa.Column("complaint_ref", sa.String(length=100), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["social_conversation.id"],
            name=op.f("fk_social_message_conversation_id_social_conversation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_social_message_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_message")),
        sa.UniqueConstraint(
            "page_id", "external_id", name=op.f("uq_social_message_page_id_external_id")
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_social_message_conversation_id_id"), "social_message", ["conversation_id", "id"]
    )
    op.create_index(op.f("ix_social_message_party_id_id"), "social_message", ["party_id", "id"])
    op.create_table(
        "social_post",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("page_id", sa.String(length=100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=2000), nullable=True),
        sa.Column("outbound_id", ID, nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["social_account.id"],
            name=op.f("fk_social_post_account_id_social_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_post")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_social_post_page_id_id"), "social_post", ["page_id", "id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_social_post_page_id_id"), table_name="social_post")
    op.drop_table("social_post")
    op.drop_index(op.f("ix_social_message_party_id_id"), table_name="social_message")
    op.drop_index(op.f("ix_social_message_conversation_id_id"), table_name="social_message")
    op.drop_table("social_message")
    op.drop_index(
        op.f("ix_social_conversation_last_message_at_id"), table_name="social_conversation"
    )
    op.drop_index(op.f("ix_social_conversation_party_id"), table_name="social_conversation")
    op.drop_table("social_conversation")
