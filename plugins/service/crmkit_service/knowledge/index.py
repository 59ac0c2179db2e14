"""Keeping the full-text index in step with the articles, in the transaction that changes them.

The index holds the published articles only, with the text of their published
version: SQLite's FTS5 table (external content, so a row leaves it by naming the
text it was indexed with), PostgreSQL's ``search_vector`` column (the title
weighing more than the body, as bm25's column weights do on SQLite).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Update,
    case,
    func,
    literal,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import REGCONFIG

from crmkit_service.knowledge.tables import FTS_TABLE, article

_FTS_DELETE = text(
    f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, title, body) VALUES ('delete', :id, :title, :body)"
)
_FTS_INSERT_ALL = text(
    f"INSERT INTO {FTS_TABLE} (rowid, title, body) "
    "SELECT id, title, body FROM service_article WHERE status = 'published'"
)
_FTS_INSERT = text(f"{_FTS_INSERT_ALL.text} AND id = :id")


def search_vector(language: str) -> ColumnElement[Any]:
    """The PostgreSQL index value of an article row, in the text search configuration ``language``."""
    config = literal(language, type_=REGCONFIG)
    # setweight takes a "char", which a bound text parameter is not: the letters are literals.
    title = func.setweight(func.to_tsvector(config, article.c.title), literal_column("'A'"))
    body = func.setweight(func.to_tsvector(config, article.c.body), literal_column("'B'"))
    return title.op("||")(body)


def leave_index(conn: Connection, article_id: int) -> None:
    """Before an article's row changes: take it out of SQLite's index if it is there."""
    if conn.dialect.name != "sqlite":
        return  # PostgreSQL's column is recomputed by enter_index
    row = conn.execute(
        select(article.c.title, article.c.body, article.c.status).where(article.c.id == article_id)
    ).one()
    if row.status == "published":
        conn.execute(_FTS_DELETE, {"id": article_id, "title": row.title, "body": row.body})


def enter_index(conn: Connection, article_id: int, language: str) -> None:
    """After an article's row changed: index its text if it is published (and only then)."""
    if conn.dialect.name == "sqlite":
        conn.execute(_FTS_INSERT.bindparams(id=article_id))
    else:
        conn.execute(_recompute(language).where(article.c.id == article_id))


def rebuild_index(conn: Connection, language: str) -> None:
    """Index every published article afresh (after a change of language)."""
    if conn.dialect.name == "sqlite":
        conn.execute(text(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('delete-all')"))
        conn.execute(_FTS_INSERT_ALL)
    else:
        conn.execute(_recompute(language))


def _recompute(language: str) -> Update:
    vector = case((article.c.status == "published", search_vector(language)), else_=None)
    return update(article).values(search_vector=vector)
