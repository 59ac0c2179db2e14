"""Create the kernel's tables (crmkit.core.tables.KERNEL_TABLES).

Revision ID: core_0001
Revises: (none: the base of the core branch)
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "core_0001"
down_revision = None
branch_labels = ("core",)
depends_on = None

# Spelled out rather than imported from crmkit.core.tables: a revision must keep
# its meaning when the application's types change later.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "core_job_state",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("last_run_at", UTC_DATETIME, nullable=True),
        sa.Column("last_success_at", UTC_DATETIME, nullable=True),
        sa.Column("last_error_at", UTC_DATETIME, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_duration_ms", sa.Integer(), nullable=True),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_core_job_state")),
    )
    op.create_table(
        "core_outbox",
        sa.Column(
            "id",
            ID,
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("entity", sa.String(length=100), nullable=True),
        sa.Column("entity_id", sa.String(length=100), nullable=True),
        sa.Column(
            "payload",
            JSON,
            nullable=False,
        ),
        sa.Column("actor_id", ID, nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("delivered_at", UTC_DATETIME, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC_DATETIME, nullable=True),
        sa.Column(
            "pending_subscribers",
            JSON,
            nullable=True,
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_outbox")),
    )
    op.create_index(
        op.f("ix_core_outbox_delivered_at_id"),
        "core_outbox",
        ["delivered_at", "id"],
        unique=False,
    )

    op.create_table(
        "core_user",
        sa.Column(
            "id",
            ID,
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("username", sa.String(length=150), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("role", sa.String(length=50), nullable=False),
        sa.Column("manager_id", ID, nullable=True),
        sa.Column("team", sa.String(length=100), nullable=True),
        sa.Column(
            "territories",
            JSON,
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["manager_id"], ["core_user.id"], name=op.f("fk_core_user_manager_id_core_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_user")),
        sa.UniqueConstraint("username", name=op.f("uq_core_user_username")),
    )
    op.create_table(
        "core_party",
        sa.Column(
            "id",
            ID,
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("display_name", sa.String(length=300), nullable=False),
        sa.Column("first_name", sa.String(length=150), nullable=True),
        sa.Column("last_name", sa.String(length=150), nullable=True),
        sa.Column("organisation_name", sa.String(length=300), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("owner_id", ID, nullable=True),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=True),
        sa.Column("customer_number", sa.String(length=100), nullable=True),
        sa.Column("converted_at", UTC_DATETIME, nullable=True),
        sa.Column(
            "custom",
            JSON,
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["core_user.id"], name=op.f("fk_core_party_owner_id_core_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_party")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_core_party_customer_number"), "core_party", ["customer_number"], unique=False
    )
    op.create_index(op.f("ix_core_party_owner_id"), "core_party", ["owner_id"], unique=False)
    op.create_index(
        op.f("ix_core_party_role_display_name_id"),
        "core_party",
        ["role", "display_name", "id"],
        unique=False,
    )

    op.create_table(
        "core_contact_point",
        sa.Column(
            "id",
            ID,
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("party_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=500), nullable=False),
        sa.Column("key", sa.String(length=320), nullable=True),
        sa.Column(
            "data",
            JSON,
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_core_contact_point_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_contact_point")),
    )
    op.create_index(
        op.f("ix_core_contact_point_kind_key"),
        "core_contact_point",
        ["kind", "key"],
        unique=False,
    )
    op.create_index(
        op.f("ix_core_contact_point_party_id_kind_position"),
        "core_contact_point",
        ["party_id", "kind", "position"],
        unique=False,
    )

    op.create_table(
        "core_external_id",
        sa.Column("system", sa.String(length=100), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("party_id", ID, nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_core_external_id_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("system", "external_id", name=op.f("pk_core_external_id")),
    )
    op.create_index(
        op.f("ix_core_external_id_party_id"), "core_external_id", ["party_id"], unique=False
    )

    op.create_table(
        "core_interaction",
        sa.Column(
            "id",
            ID,
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("party_id", ID, nullable=False),
        sa.Column("channel", sa.String(length=50), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("occurred_at", UTC_DATETIME, nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=100), nullable=True),
        sa.Column("owner_id", ID, nullable=True),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column(
            "refs",
            JSON,
            nullable=False,
        ),
        sa.Column(
            "custom",
            JSON,
            nullable=False,
        ),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["core_user.id"], name=op.f("fk_core_interaction_owner_id_core_user")
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_core_interaction_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_interaction")),
    )
    op.create_index(
        op.f("ix_core_interaction_party_id_occurred_at_id"),
        "core_interaction",
        ["party_id", "occurred_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("core_interaction")
    op.drop_table("core_external_id")
    op.drop_table("core_contact_point")
    op.drop_table("core_party")
    op.drop_table("core_user")
    op.drop_table("core_outbox")
    op.drop_table("core_job_state")
