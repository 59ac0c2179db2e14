"""Add the ledger part's tables.

Revision ID: loyalty_0002
Revises: loyalty_0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "loyalty_0002"
down_revision = "loyalty_0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "loyalty_member",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("programme_id", ID, nullable=False),
        sa.Column("party_id", ID, nullable=True),
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("tier_id", ID, nullable=False),
        sa.Column("tier_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tier_review_on", sa.DateTime(timezone=True), nullable=True),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("lifetime_points", sa.BigInteger(), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("merged_into_id", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["loyalty_programme.id"],
            name=op.f("fk_loyalty_member_programme_id_loyalty_programme"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_loyalty_member_party_id_core_party"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tier_id"], ["loyalty_tier.id"], name=op.f("fk_loyalty_member_tier_id_loyalty_tier")
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["loyalty_member.id"],
            name=op.f("fk_loyalty_member_merged_into_id_loyalty_member"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_member")),
        sa.UniqueConstraint("number", name=op.f("uq_loyalty_member_number")),
        sa.UniqueConstraint(
            "programme_id", "party_id", name=op.f("uq_loyalty_member_programme_id_party_id")
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_loyalty_member_party_id", "loyalty_member", ["party_id"])
    op.create_index("ix_loyalty_member_merged_into_id", "loyalty_member", ["merged_into_id"])
    op.create_table(
        "loyalty_entry",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("rule_id", ID, nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("details", JSON, nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reverses_id", ID, nullable=True),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["loyalty_member.id"],
            name=op.f("fk_loyalty_entry_member_id_loyalty_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["loyalty_rule.id"],
            name=op.f("fk_loyalty_entry_rule_id_loyalty_rule"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"],
            ["loyalty_entry.id"],
            name=op.f("fk_loyalty_entry_reverses_id_loyalty_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["core_user.id"], name=op.f("fk_loyalty_entry_created_by_core_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_entry")),
        sa.UniqueConstraint(
            "member_id",
            "source",
            "reference",
            name=op.f("uq_loyalty_entry_member_id_source_reference"),
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_loyalty_entry_member_id_created_at", "loyalty_entry", ["member_id", "created_at"]
    )
    op.create_table(
        "loyalty_lot",
        sa.Column("entry_id", ID, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["loyalty_entry.id"],
            name=op.f("fk_loyalty_lot_entry_id_loyalty_entry"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_loyalty_lot")),
    )
    op.create_index("ix_loyalty_lot_member_id_remaining", "loyalty_lot", ["member_id", "remaining"])
    op.create_index("ix_loyalty_lot_expires_at", "loyalty_lot", ["expires_at"])
    op.create_table(
        "loyalty_allocation",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("entry_id", ID, nullable=False),
        sa.Column("lot_id", ID, nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["loyalty_entry.id"],
            name=op.f("fk_loyalty_allocation_entry_id_loyalty_entry"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["loyalty_lot.entry_id"],
            name=op.f("fk_loyalty_allocation_lot_id_loyalty_lot"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_allocation")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_loyalty_allocation_entry_id", "loyalty_allocation", ["entry_id"])
    op.create_index("ix_loyalty_allocation_lot_id", "loyalty_allocation", ["lot_id"])
    op.create_table(
        "loyalty_redemption",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("reward_id", ID, nullable=True),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("entry_id", ID, nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["loyalty_member.id"],
            name=op.f("fk_loyalty_redemption_member_id_loyalty_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reward_id"],
            ["loyalty_reward.id"],
            name=op.f("fk_loyalty_redemption_reward_id_loyalty_reward"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["loyalty_entry.id"],
            name=op.f("fk_loyalty_redemption_entry_id_loyalty_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["core_user.id"],
            name=op.f("fk_loyalty_redemption_created_by_core_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_redemption")),
        sa.UniqueConstraint(
            "member_id", "reference", name=op.f("uq_loyalty_redemption_member_id_reference")
        ),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "loyalty_tier_change",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("from_tier_id", ID, nullable=True),
        sa.Column("to_tier_id", ID, nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("changed_by", ID, nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["loyalty_member.id"],
            name=op.f("fk_loyalty_tier_change_member_id_loyalty_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["from_tier_id"],
            ["loyalty_tier.id"],
            name=op.f("fk_loyalty_tier_change_from_tier_id_loyalty_tier"),
        ),
        sa.ForeignKeyConstraint(
            ["to_tier_id"],
            ["loyalty_tier.id"],
            name=op.f("fk_loyalty_tier_change_to_tier_id_loyalty_tier"),
        ),
        sa.ForeignKeyConstraint(
            ["changed_by"],
            ["core_user.id"],
            name=op.f("fk_loyalty_tier_change_changed_by_core_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_tier_change")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_loyalty_tier_change_member_id", "loyalty_tier_change", ["member_id"])


def downgrade() -> None:
    op.drop_index("ix_loyalty_tier_change_member_id", table_name="loyalty_tier_change")
    op.drop_table("loyalty_tier_change")
    op.drop_table("loyalty_redemption")
    op.drop_index("ix_loyalty_allocation_lot_id", table_name="loyalty_allocation")
    op.drop_index("ix_loyalty_allocation_entry_id", table_name="loyalty_allocation")
    op.drop_table("loyalty_allocation")
    op.drop_index("ix_loyalty_lot_expires_at", table_name="loyalty_lot")
    op.drop_index("ix_loyalty_lot_member_id_remaining", table_name="loyalty_lot")
    op.drop_table("loyalty_lot")
    op.drop_index("ix_loyalty_entry_member_id_created_at", table_name="loyalty_entry")
    op.drop_table("loyalty_entry")
    op.drop_index("ix_loyalty_member_merged_into_id", table_name="loyalty_member")
    op.drop_index("ix_loyalty_member_party_id", table_name="loyalty_member")
    op.drop_table("loyalty_member")
