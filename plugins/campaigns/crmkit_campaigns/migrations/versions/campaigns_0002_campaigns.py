"""Add the campaigns part's tables.

Revision ID: campaigns_0002
Revises: campaigns_0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "campaigns_0002"
down_revision = "campaigns_0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "campaigns_campaign",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("purpose", sa.String(length=50), nullable=False),
        sa.Column("segment_id", ID, nullable=True),
        sa.Column("list_id", ID, nullable=True),
        sa.Column("trigger", JSON, nullable=True),
        sa.Column("product_group", sa.String(length=100), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        _when("starts_at"),
        _when("ends_at"),
        sa.Column("throttle_per_hour", sa.Integer(), nullable=True),
        sa.Column("quiet_start", sa.String(length=5), nullable=True),
        sa.Column("quiet_end", sa.String(length=5), nullable=True),
        sa.Column("time_zone", sa.String(length=60), nullable=False),
        sa.Column("test_share", sa.Integer(), nullable=False),
        sa.Column("winner_metric", sa.String(length=20), nullable=True),
        sa.Column("decide_after_hours", sa.Integer(), nullable=True),
        sa.Column("winner_variant_id", ID, nullable=True),
        sa.Column("budget", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("owner_id", ID, nullable=True),
        sa.Column("created_by", ID, nullable=True),
        _when("created_at", nullable=False),
        _when("updated_at", nullable=False),
        _when("targeted_at"),
        _when("completed_at"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["core_user.id"],
            name=op.f("fk_campaigns_campaign_created_by_core_user"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["core_user.id"], name=op.f("fk_campaigns_campaign_owner_id_core_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns_campaign")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_campaigns_campaign_status"), "campaigns_campaign", ["status"], unique=False
    )
    op.create_table(
        "campaigns_variant",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("campaign_id", ID, nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("label", sa.String(length=20), nullable=False),
        sa.Column("split", sa.Integer(), nullable=False),
        sa.Column("template", sa.String(length=100), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("html", sa.Text(), nullable=True),
        _when("created_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns_campaign.id"],
            name=op.f("fk_campaigns_variant_campaign_id_campaigns_campaign"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns_variant")),
        sa.UniqueConstraint(
            "campaign_id",
            "channel",
            "label",
            name=op.f("uq_campaigns_variant_campaign_id_channel_label"),
        ),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "campaigns_member",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("campaign_id", ID, nullable=False),
        sa.Column("party_id", ID, nullable=False),
        sa.Column("occurrence", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=True),
        sa.Column("variant_id", ID, nullable=True),
        sa.Column("in_test", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("email_id", ID, nullable=True),
        sa.Column("sms_id", ID, nullable=True),
        _when("targeted_at", nullable=False),
        _when("queued_at"),
        _when("sent_at"),
        _when("delivered_at"),
        _when("opened_at"),
        _when("clicked_at"),
        _when("responded_at"),
        _when("converted_at"),
        _when("unsubscribed_at"),
        _when("bounced_at"),
        sa.Column("detail", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns_campaign.id"],
            name=op.f("fk_campaigns_member_campaign_id_campaigns_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_campaigns_member_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["campaigns_variant.id"],
            name=op.f("fk_campaigns_member_variant_id_campaigns_variant"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns_member")),
        sa.UniqueConstraint(
            "campaign_id",
            "party_id",
            "occurrence",
            name=op.f("uq_campaigns_member_campaign_id_party_id_occurrence"),
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_campaigns_member_campaign_id_status_id"),
        "campaigns_member",
        ["campaign_id", "status", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_campaigns_member_email_id"), "campaigns_member", ["email_id"], unique=False
    )
    op.create_index(
        op.f("ix_campaigns_member_party_id"), "campaigns_member", ["party_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("campaigns_member")
    op.drop_table("campaigns_variant")
    op.drop_index(op.f("ix_campaigns_campaign_status"), table_name="campaigns_campaign")
    op.drop_table("campaigns_campaign")
