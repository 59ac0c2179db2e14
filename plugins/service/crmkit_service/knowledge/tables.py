"""The knowledge base's tables: categories, articles, their versions, feedback and the full-text index.

The index is the database's own: on SQLite the FTS5 table ``service_article_fts``
(external content: it reads the published title and body back from
``service_article`` for snippets), created beside ``service_article``; on
PostgreSQL the ``search_vector`` column of ``service_article`` under a GIN index.
Either holds exactly the articles whose status is published, and is written in
the transaction that changes them (see :mod:`crmkit_service.knowledge.index`).
"""

from __future__ import annotations

from sqlalchemy import (
    DDL,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.dialects.postgresql import TSVECTOR

from crmkit import Id, UTCDateTime, metadata

STATUSES = ("draft", "published", "archived")
VISIBILITIES = ("internal", "public")

FTS_TABLE = "service_article_fts"
FTS_TOKENIZER = "porter unicode61 remove_diacritics 2"
"""Porter stemming over Unicode words, accents folded (so that "cafe" finds "café")."""

category = Table(
    "service_kb_category",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("parent_id", Id, ForeignKey("service_kb_category.id", ondelete="RESTRICT")),
    Column("name", String(120), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("name"),
    Index(None, "parent_id"),
    sqlite_autoincrement=True,
)

article = Table(
    "service_article",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("category_id", Id, ForeignKey("service_kb_category.id", ondelete="RESTRICT")),
    Column("visibility", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    # The text the index holds: the published version's, or the newest draft's while none is.
    Column("title", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("published_version", Integer),
    Column("created_by", Id, ForeignKey("core_user.id", ondelete="SET NULL")),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("published_at", UTCDateTime()),
    # PostgreSQL's index of the published text; unused (NULL) on SQLite, where FTS5 holds it.
    Column("search_vector", TSVECTOR().with_variant(Text(), "sqlite")),
    CheckConstraint(f"status IN {STATUSES}", name="status"),
    CheckConstraint(f"visibility IN {VISIBILITIES}", name="visibility"),
    Index(None, "status", "visibility", "updated_at"),
    Index(None, "category_id"),
    Index("ix_service_article_search_vector", "search_vector", postgresql_using="gin").ddl_if(
        dialect="postgresql"
    ),
    sqlite_autoincrement=True,
)

article_version = Table(
    "service_article_version",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("article_id", Id, ForeignKey("service_article.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("title", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("category_id", Id, ForeignKey("service_kb_category.id", ondelete="RESTRICT")),
    Column("visibility", String(16), nullable=False),
    Column("note", String(500)),
    Column("author_id", Id, ForeignKey("core_user.id", ondelete="SET NULL")),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("published_at", UTCDateTime()),
    Column("published_by", Id, ForeignKey("core_user.id", ondelete="SET NULL")),
    UniqueConstraint("article_id", "number"),
    sqlite_autoincrement=True,
)

feedback = Table(
    "service_article_feedback",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("article_id", Id, ForeignKey("service_article.id", ondelete="CASCADE"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("helpful", Boolean, nullable=False),
    Column("comment", String(2000)),
    # Staff give feedback as themselves; a portal customer as their party.
    Column("user_id", Id, ForeignKey("core_user.id", ondelete="SET NULL")),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE")),
    Column("created_at", UTCDateTime(), nullable=False),
    Index(None, "article_id", "version"),
    Index(None, "party_id"),
    sqlite_autoincrement=True,
)

TABLES = [category, article, article_version, feedback]

CREATE_FTS = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(title, body, "
    f"content='service_article', content_rowid='id', tokenize='{FTS_TOKENIZER}')"
)
DROP_FTS = f"DROP TABLE {FTS_TABLE}"

# Databases made from the tables (tests, scratch databases) get the FTS5 table as the migration makes it.
event.listen(article, "after_create", DDL(CREATE_FTS).execute_if(dialect="sqlite"))
event.listen(article, "before_drop", DDL(DROP_FTS).execute_if(dialect="sqlite"))
