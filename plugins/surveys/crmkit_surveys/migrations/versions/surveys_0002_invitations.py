"""Add the invitations part's tables.

Revision ID: surveys_0002
Revises: surveys_0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "surveys_0002"
down_revision = "surveys_0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _fk(
    table: str, column: str, target: str, ondelete: str | None = None
) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    op.create_table(
        "surveys_send",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("survey_id", ID, nullable=False),
        sa.Column("version_id", ID, nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("audience", JSON, nullable=False),
        sa.Column("message", JSON, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("invited", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("surveys_send", "survey_id", "surveys_survey", "CASCADE"),
        _fk("surveys_send", "version_id", "surveys_version"),
        _fk("surveys_send", "created_by", "core_user"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys_send")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_surveys_send_survey_id"), "surveys_send", ["survey_id"])
    op.create_table(
        "surveys_rule",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("survey_id", ID, nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("conditions", JSON, nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("message", JSON, nullable=False),
        sa.Column("delay_minutes", sa.Integer(), nullable=False),
        sa.Column("quiet_days", sa.Integer(), nullable=False),
        sa.Column("expires_after_days", sa.Integer(), nullable=False),
        sa.Column("active", sa.Integer(), nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _fk("surveys_rule", "survey_id", "surveys_survey", "CASCADE"),
        _fk("surveys_rule", "created_by", "core_user"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys_rule")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_surveys_rule_event_type"), "surveys_rule", ["event_type"])
    op.create_table(
        "surveys_invitation",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("survey_id", ID, nullable=False),
        sa.Column("version_id", ID, nullable=False),
        sa.Column("party_id", ID, nullable=True),
        sa.Column("send_id", ID, nullable=True),
        sa.Column("rule_id", ID, nullable=True),
        sa.Column("dedupe_key", sa.String(200), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("language", sa.String(10), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("message_ref", sa.String(100), nullable=True),
        sa.Column("source", JSON, nullable=True),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        _fk("surveys_invitation", "survey_id", "surveys_survey", "CASCADE"),
        _fk("surveys_invitation", "version_id", "surveys_version"),
        _fk("surveys_invitation", "party_id", "core_party", "SET NULL"),
        _fk("surveys_invitation", "send_id", "surveys_send", "SET NULL"),
        _fk("surveys_invitation", "rule_id", "surveys_rule", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys_invitation")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_surveys_invitation_dedupe_key")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_surveys_invitation_token_hash")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_surveys_invitation_survey_id_status"),
        "surveys_invitation",
        ["survey_id", "status"],
    )
    op.create_index(op.f("ix_surveys_invitation_party_id"), "surveys_invitation", ["party_id"])
    op.create_table(
        "surveys_open_link",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("survey_id", ID, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        _fk("surveys_open_link", "survey_id", "surveys_survey", "CASCADE"),
        _fk("surveys_open_link", "created_by", "core_user"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys_open_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_surveys_open_link_token_hash")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_surveys_open_link_survey_id"), "surveys_open_link", ["survey_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_surveys_open_link_survey_id"), table_name="surveys_open_link")
    op.drop_table("surveys_open_link")
    op.drop_index(op.f("ix_surveys_invitation_party_id"), table_name="surveys_invitation")
    op.drop_index(op.f("ix_surveys_invitation_survey_id_status"), table_name="surveys_invitation")
    op.drop_table("surveys_invitation")
    op.drop_index(op.f("ix_surveys_rule_event_type"), table_name="surveys_rule")
    op.drop_table("surveys_rule")
    op.drop_index(op.f("ix_surveys_send_survey_id"), table_name="surveys_send")
    op.drop_table("surveys_send")
