"""Add the answering part's tables.

Revision ID: surveys_0003
Revises: surveys_0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "surveys_0003"
down_revision = "surveys_0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "surveys_response",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("survey_id", ID, nullable=False),
        sa.Column("version_id", ID, nullable=False),
        sa.Column("invitation_id", ID, nullable=True),
        sa.Column("party_id", ID, nullable=True),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("case_ref", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys_survey.id"],
            name=op.f("fk_surveys_response_survey_id_surveys_survey"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["surveys_version.id"],
            name=op.f("fk_surveys_response_version_id_surveys_version"),
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["surveys_invitation.id"],
            name=op.f("fk_surveys_response_invitation_id_surveys_invitation"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_surveys_response_party_id_core_party"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys_response")),
        sa.UniqueConstraint("invitation_id", name=op.f("uq_surveys_response_invitation_id")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_surveys_response_survey_id_status_completed_at"),
        "surveys_response",
        ["survey_id", "status", "completed_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_surveys_response_party_id"), "surveys_response", ["party_id"], unique=False
    )
    op.create_table(
        "surveys_answer",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("response_id", ID, nullable=False),
        sa.Column("survey_id", ID, nullable=False),
        sa.Column("question", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("choices", JSON, nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["surveys_response.id"],
            name=op.f("fk_surveys_answer_response_id_surveys_response"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys_answer")),
        sa.UniqueConstraint(
            "response_id", "question", name=op.f("uq_surveys_answer_response_id_question")
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_surveys_answer_survey_id_question_answered_at"),
        "surveys_answer",
        ["survey_id", "question", "answered_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_surveys_answer_survey_id_question_answered_at"), table_name="surveys_answer"
    )
    op.drop_table("surveys_answer")
    op.drop_index(op.f("ix_surveys_response_party_id"), table_name="surveys_response")
    op.drop_index(
        op.f("ix_surveys_response_survey_id_status_completed_at"), table_name="surveys_response"
    )
    op.drop_table("surveys_response")
