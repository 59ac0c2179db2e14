"""Add portal sign-in links and sessions, link requests, case attachments and case ratings.

Revision ID: service_0005
Revises: service_0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "service_0005"
down_revision = "service_0004"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def _party_table(name: str) -> None:
    """A sign-in link or a session: a party, a token's hash, its times."""
    op.create_table(
        name,
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("party_id", ID, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("used_at" if name == "service_portal_link" else "ended_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f(f"fk_{name}_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("token_hash", name=op.f(f"uq_{name}_token_hash")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f(f"ix_{name}_party_id"), name, ["party_id"], unique=False)
    op.create_index(op.f(f"ix_{name}_expires_at"), name, ["expires_at"], unique=False)


def upgrade() -> None:
    _party_table("service_portal_link")
    _party_table("service_portal_session")
    op.create_table(
        "service_portal_link_request",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("address_key", sa.String(64), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("requested_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_portal_link_request")),
        sqlite_autoincrement=True,
    )
    for columns in (["address_key", "requested_at"], ["client", "requested_at"], ["requested_at"]):
        op.create_index(
            op.f(f"ix_service_portal_link_request_{'_'.join(columns)}"),
            "service_portal_link_request",
            columns,
            unique=False,
        )
    op.create_table(
        "service_attachment",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("event_id", ID, nullable=True),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.CheckConstraint(
            "source IN ('portal', 'email', 'staff')", name=op.f("ck_service_attachment_source")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["service_case.id"],
            name=op.f("fk_service_attachment_case_id_service_case"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["service_case_event.id"],
            name=op.f("fk_service_attachment_event_id_service_case_event"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_attachment")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_service_attachment_case_id_id"),
        "service_attachment",
        ["case_id", "id"],
        unique=False,
    )
    op.create_table(
        "service_case_rating",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("resolved_at", WHEN, nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name=op.f("ck_service_case_rating_score")),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["service_case.id"],
            name=op.f("fk_service_case_rating_case_id_service_case"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_case_rating")),
        sa.UniqueConstraint(
            "case_id", "resolved_at", name=op.f("uq_service_case_rating_case_id_resolved_at")
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_service_case_rating_created_at"),
        "service_case_rating",
        ["created_at"],
        unique=False,
    )


def downgrade() -> None:
    for name in (
        "service_case_rating",
        "service_attachment",
        "service_portal_link_request",
        "service_portal_session",
        "service_portal_link",
    ):
        op.drop_table(name)
