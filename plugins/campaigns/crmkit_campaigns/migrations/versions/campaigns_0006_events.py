"""Add the events part's tables.

Revision ID: campaigns_0006
Revises: campaigns_0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "campaigns_0006"
down_revision = "campaigns_0005"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "campaigns_event",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("venue", sa.String(length=300), nullable=True),
        sa.Column("online_url", sa.String(length=500), nullable=True),
        sa.Column("time_zone", sa.String(length=60), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("seats_taken", sa.Integer(), nullable=False),
        sa.Column("registration_opens_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("registration_closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("owner_id", ID, nullable=True),
        sa.Column("campaign_id", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["core_user.id"], name=op.f("fk_campaigns_event_owner_id_core_user")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns_campaign.id"],
            name=op.f("fk_campaigns_event_campaign_id_campaigns_campaign"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns_event")),
        sa.UniqueConstraint("slug", name=op.f("uq_campaigns_event_slug")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_campaigns_event_starts_at", "campaigns_event", ["starts_at"])
    op.create_table(
        "campaigns_event_session",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("event_id", ID, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("room", sa.String(length=100), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("seats_taken", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["campaigns_event.id"],
            name=op.f("fk_campaigns_event_session_event_id_campaigns_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns_event_session")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_campaigns_event_session_event_id", "campaigns_event_session", ["event_id"])
    op.create_table(
        "campaigns_event_registration",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("event_id", ID, nullable=False),
        sa.Column("party_id", ID, nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("company", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("marketing_consent", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("waitlisted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_in_by", ID, nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("followed_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("holds_seat", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["campaigns_event.id"],
            name=op.f("fk_campaigns_event_registration_event_id_campaigns_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_campaigns_event_registration_party_id_core_party"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["checked_in_by"],
            ["core_user.id"],
            name=op.f("fk_campaigns_event_registration_checked_in_by_core_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns_event_registration")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_campaigns_event_registration_event_id_status",
        "campaigns_event_registration",
        ["event_id", "status"],
    )
    op.create_index(
        "ix_campaigns_event_registration_party_id", "campaigns_event_registration", ["party_id"]
    )
    active = sa.text("status <> 'cancelled' AND party_id IS NOT NULL")
    op.create_index(
        "uq_campaigns_event_registration_active",
        "campaigns_event_registration",
        ["event_id", "party_id"],
        unique=True,
        sqlite_where=active,
        postgresql_where=active,
    )
    op.create_table(
        "campaigns_event_choice",
        sa.Column("registration_id", ID, nullable=False),
        sa.Column("session_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["campaigns_event_registration.id"],
            name=op.f("fk_campaigns_event_choice_registration_id_campaigns_event_registration"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["campaigns_event_session.id"],
            name=op.f("fk_campaigns_event_choice_session_id_campaigns_event_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "registration_id", "session_id", name=op.f("pk_campaigns_event_choice")
        ),
    )


def downgrade() -> None:
    op.drop_table("campaigns_event_choice")
    op.drop_index(
        "uq_campaigns_event_registration_active", table_name="campaigns_event_registration"
    )
    op.drop_index(
        "ix_campaigns_event_registration_party_id", table_name="campaigns_event_registration"
    )
    op.drop_index(
        "ix_campaigns_event_registration_event_id_status",
        table_name="campaigns_event_registration",
    )
    op.drop_table("campaigns_event_registration")
    op.drop_index("ix_campaigns_event_session_event_id", table_name="campaigns_event_session")
    op.drop_table("campaigns_event_session")
    op.drop_index("ix_campaigns_event_starts_at", table_name="campaigns_event")
    op.drop_table("campaigns_event")
