"""Add the definitions part's tables.

Revision ID: surveys_0001
Revises: (none: the base of the branch)
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "surveys_0001"
down_revision = None
branch_labels = ("surveys",)
depends_on = ("core", "channels")

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "surveys_survey",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("default_language", sa.String(length=10), nullable=False),
        sa.Column("published_version_id", ID, nullable=True),
        sa.Column("owner_id", ID, nullable=True),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["core_user.id"], name=op.f("fk_surveys_survey_owner_id_core_user")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["core_user.id"], name=op.f("fk_surveys_survey_created_by_core_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys_survey")),
        sa.UniqueConstraint("name", name=op.f("uq_surveys_survey_name")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "surveys_version",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("survey_id", ID, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("definition", JSON, nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys_survey.id"],
            name=op.f("fk_surveys_version_survey_id_surveys_survey"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["core_user.id"], name=op.f("fk_surveys_version_created_by_core_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys_version")),
        sa.UniqueConstraint(
            "survey_id", "number", name=op.f("uq_surveys_version_survey_id_number")
        ),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("surveys_version")
    op.drop_table("surveys_survey")
