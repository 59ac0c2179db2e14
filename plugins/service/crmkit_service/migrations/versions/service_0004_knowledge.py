"""Add knowledge-base articles, their versions, feedback and full-text index.

Revision ID: service_0004
Revises: service_0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "service_0004"
down_revision = "service_0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


FTS_TABLE = "service_article_fts"
# As the knowledge base's tables module creates it for a database made from the tables.
CREATE_FTS = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(title, body, content='service_article', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')"
)


def upgrade() -> None:
    op.create_table(
        "service_kb_category",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("parent_id", ID, nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["service_kb_category.id"],
            name=op.f("fk_service_kb_category_parent_id_service_kb_category"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_kb_category")),
        sa.UniqueConstraint("name", name=op.f("uq_service_kb_category_name")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_service_kb_category_parent_id"), "service_kb_category", ["parent_id"])
    op.create_table(
        "service_article",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("category_id", ID, nullable=True),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("published_version", sa.Integer(), nullable=True),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR().with_variant(sa.Text(), "sqlite"),
            nullable=True,
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'archived')", name=op.f("ck_service_article_status")
        ),
        sa.CheckConstraint(
            "visibility IN ('internal', 'public')", name=op.f("ck_service_article_visibility")
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["service_kb_category.id"],
            name=op.f("fk_service_article_category_id_service_kb_category"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["core_user.id"],
            name=op.f("fk_service_article_created_by_core_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_article")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_service_article_status_visibility_updated_at"),
        "service_article",
        ["status", "visibility", "updated_at"],
    )
    op.create_index(op.f("ix_service_article_category_id"), "service_article", ["category_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_service_article_search_vector",
            "service_article",
            ["search_vector"],
            postgresql_using="gin",
        )
    else:
        op.execute(CREATE_FTS)
    op.create_table(
        "service_article_version",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("article_id", ID, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("category_id", ID, nullable=True),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("author_id", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["service_article.id"],
            name=op.f("fk_service_article_version_article_id_service_article"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["core_user.id"],
            name=op.f("fk_service_article_version_author_id_core_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["service_kb_category.id"],
            name=op.f("fk_service_article_version_category_id_service_kb_category"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["published_by"],
            ["core_user.id"],
            name=op.f("fk_service_article_version_published_by_core_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_article_version")),
        sa.UniqueConstraint(
            "article_id", "number", name=op.f("uq_service_article_version_article_id_number")
        ),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "service_article_feedback",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("article_id", ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.String(length=2000), nullable=True),
        sa.Column("user_id", ID, nullable=True),
        sa.Column("party_id", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["service_article.id"],
            name=op.f("fk_service_article_feedback_article_id_service_article"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_service_article_feedback_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["core_user.id"],
            name=op.f("fk_service_article_feedback_user_id_core_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_article_feedback")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_service_article_feedback_article_id_version"),
        "service_article_feedback",
        ["article_id", "version"],
    )
    op.create_index(
        op.f("ix_service_article_feedback_party_id"), "service_article_feedback", ["party_id"]
    )


def downgrade() -> None:
    op.drop_table("service_article_feedback")
    op.drop_table("service_article_version")
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TABLE {FTS_TABLE}")
    op.drop_table("service_article")
    op.drop_table("service_kb_category")
