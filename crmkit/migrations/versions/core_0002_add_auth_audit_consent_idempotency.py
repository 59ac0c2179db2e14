"""Add authentication, audit, consent and idempotency tables; key addresses by territory.

Revision ID: core_0002
Revises: core_0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "core_0002"
down_revision = "core_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "core_audit",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("actor_name", sa.String(length=150), nullable=False),
        sa.Column("entity", sa.String(length=50), nullable=False),
        sa.Column("entity_id", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column(
            "changes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_audit")),
    )
    with op.batch_alter_table("core_audit", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_core_audit_entity_entity_id_id"),
            ["entity", "entity_id", "id"],
            unique=False,
        )

    op.create_table(
        "core_idempotency_key",
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column(
            "body",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("actor", "key", name=op.f("pk_core_idempotency_key")),
    )
    op.create_table(
        "core_login_failure",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_login_failure")),
    )
    with op.batch_alter_table("core_login_failure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_core_login_failure_failed_at"), ["failed_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_core_login_failure_kind_key_failed_at"),
            ["kind", "key", "failed_at"],
            unique=False,
        )

    op.create_table(
        "core_api_token",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "scopes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["core_user.id"],
            name=op.f("fk_core_api_token_user_id_core_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_api_token")),
        sa.UniqueConstraint("prefix", name=op.f("uq_core_api_token_prefix")),
    )
    with op.batch_alter_table("core_api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_core_api_token_user_id"), ["user_id"], unique=False)

    op.create_table(
        "core_password",
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("hash", sa.String(length=200), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["core_user.id"],
            name=op.f("fk_core_password_user_id_core_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_core_password")),
    )
    op.create_table(
        "core_session",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["core_user.id"],
            name=op.f("fk_core_session_user_id_core_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_session")),
    )
    with op.batch_alter_table("core_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_core_session_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_core_session_user_id"), ["user_id"], unique=False)

    op.create_table(
        "core_consent",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("party_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("purpose", sa.String(length=50), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=150), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_core_consent_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_consent")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_core_consent_token_hash")),
    )
    with op.batch_alter_table("core_consent", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_core_consent_party_id_purpose_channel_id"),
            ["party_id", "purpose", "channel", "id"],
            unique=False,
        )

    _key_addresses_by_territory()


def _key_addresses_by_territory() -> None:
    """Addresses stored before territories get their key ``<country>-<postcode>`` (``DE-10115``).

    Spelled out here rather than imported, so that this revision keeps its meaning.
    """
    contact = sa.table(
        "core_contact_point",
        sa.column("id", sa.Integer()),
        sa.column("kind", sa.String()),
        sa.column("key", sa.String()),
        sa.column("data", sa.JSON()),
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(contact.c.id, contact.c.data).where(
            contact.c.kind == "address", contact.c.key.is_(None)
        )
    ).all()
    keys = [
        {
            "row_id": row.id,
            "new_key": f"{(row.data or {}).get('country') or ''}-"
            f"{((row.data or {}).get('postcode') or '').replace(' ', '').upper()}",
        }
        for row in rows
    ]
    if keys:
        conn.execute(
            contact.update()
            .where(contact.c.id == sa.bindparam("row_id"))
            .values(key=sa.bindparam("new_key")),
            keys,
        )


def downgrade() -> None:
    with op.batch_alter_table("core_consent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_core_consent_party_id_purpose_channel_id"))

    op.drop_table("core_consent")
    with op.batch_alter_table("core_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_core_session_user_id"))
        batch_op.drop_index(batch_op.f("ix_core_session_expires_at"))

    op.drop_table("core_session")
    op.drop_table("core_password")
    with op.batch_alter_table("core_api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_core_api_token_user_id"))

    op.drop_table("core_api_token")
    with op.batch_alter_table("core_login_failure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_core_login_failure_kind_key_failed_at"))
        batch_op.drop_index(batch_op.f("ix_core_login_failure_failed_at"))

    op.drop_table("core_login_failure")
    op.drop_table("core_idempotency_key")
    with op.batch_alter_table("core_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_core_audit_entity_entity_id_id"))

    op.drop_table("core_audit")
