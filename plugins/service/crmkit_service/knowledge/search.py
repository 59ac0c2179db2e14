"""Full-text search over the published articles, with the database's own engine.

SQLite: the FTS5 table, ranked by bm25 (a title match weighs more than a body
match). PostgreSQL: the ``search_vector`` column, ranked by ``ts_rank``, in the
text search configuration of the ``knowledge.language`` setting. What a user
types is never query syntax: its words are taken out of it, quoted one by one for
FTS5 and handed to ``plainto_tsquery`` / ``websearch_to_tsquery`` on PostgreSQL, so
any text searches (for every word; a suggestion for any) and none is an error.

Only published articles are found; ``public_only`` restricts the answer to public
ones, as the portal and answers to customers need.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import datetime
from typing import Any

from attrs import frozen
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    func,
    literal,
    literal_column,
    select,
    table,
)
from sqlalchemy.dialects.postgresql import REGCONFIG

from crmkit import Actor, Crm, require
from crmkit_service.knowledge.stopwords import STOPWORDS
from crmkit_service.knowledge.tables import FTS_TABLE, article, category

MARK_START = "\ue000"
MARK_END = "\ue001"
"""Around each matched term in a snippet: private-use characters no article is written with."""

MAX_TERMS = 64
"""Words of a query used at most: a case's body may be long, and every word costs a lookup."""

HEADLINE_OPTIONS = (
    f"StartSel={MARK_START}, StopSel={MARK_END}, MaxFragments=2, MaxWords=30, MinWords=12, "
    'FragmentDelimiter=" … "'
)

_WORD = re.compile(r"\w+")
_FTS: ColumnElement[Any] = literal_column(FTS_TABLE)
_FTS_ROWID: ColumnElement[int] = literal_column(f"{FTS_TABLE}.rowid")
_FTS_JOIN = table(FTS_TABLE).join(article, article.c.id == _FTS_ROWID)
_WITH_CATEGORY = article.outerjoin(category, category.c.id == article.c.category_id)
_COLUMNS = (
    article.c.id,
    article.c.published_version,
    article.c.title,
    article.c.visibility,
    article.c.category_id,
    category.c.name.label("category"),
    article.c.updated_at,
)


@frozen
class Fragment:
    """A piece of a snippet; ``matched`` when it is a term the query found."""

    text: str
    matched: bool


@frozen
class ArticleHit:
    """A published article that matches a query, best first in a result."""

    article_id: int
    version: int
    """The published version's number: feedback on the hit names it."""
    title: str
    snippet: tuple[Fragment, ...]
    visibility: str
    category_id: int | None
    category: str | None
    updated_at: datetime
    rank: float
    """Higher is better; comparable only within one result."""

    @property
    def snippet_text(self) -> str:
        return "".join(fragment.text for fragment in self.snippet)


def search(
    crm: Crm,
    conn: Connection,
    actor: Actor,
    text: str,
    *,
    public_only: bool = False,
    limit: int = 10,
    category_id: int | None = None,
) -> list[ArticleHit]:
    """The published articles holding every word of ``text`` (stemmed), best first.

    Internal articles only for an actor holding ``service:article.read`` (else
    PermissionDenied); public ones, with ``public_only``, for anyone.
    """
    if not public_only:
        require(crm.host, actor, "service:article.read", conn=conn)
    words = _words(text)
    return _run(
        crm, conn, words, every=True, public_only=public_only, limit=limit, category_id=category_id
    )


def suggest(
    crm: Crm,
    conn: Connection,
    subject: str,
    body: str,
    *,
    public_only: bool = False,
    limit: int = 5,
) -> list[ArticleHit]:
    """Articles for a case: those sharing the most telling words with its subject and body.

    Any word may match (a case says more than an article's title); ranking by
    bm25 / ts_rank weighs rare words over common ones. The subject comes first, so
    its words are kept when a long body has more than the query may use.
    """
    words = _words(f"{subject}\n{body}", skip=STOPWORDS if conn.dialect.name == "sqlite" else ())
    return _run(
        crm, conn, words, every=False, public_only=public_only, limit=limit, category_id=None
    )


def _words(text: str, skip: Collection[str] = ()) -> list[str]:
    """The distinct words of ``text`` but ``skip``, in order of first appearance, case folded,
    at most MAX_TERMS."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(text.replace("_", " ")):
        folded = word.casefold()
        if folded in skip:
            continue
        seen.setdefault(folded, None)
        if len(seen) == MAX_TERMS:
            break
    return list(seen)


def _run(
    crm: Crm,
    conn: Connection,
    words: list[str],
    *,
    every: bool,
    public_only: bool,
    limit: int,
    category_id: int | None,
) -> list[ArticleHit]:
    if not words or limit < 1:
        return []
    narrowed = []
    if public_only:
        narrowed.append(article.c.visibility == "public")
    if category_id is not None:
        narrowed.append(article.c.category_id == category_id)
    if conn.dialect.name == "postgresql":
        language = crm.settings_of["service"].knowledge.language
        rank, matches, details = _postgresql(words, every, language)
        key: ColumnElement[int] = article.c.id
        ranked = select(key, rank).where(matches, article.c.status == "published", *narrowed)
    else:
        rank, matches, details = _sqlite(words, every)
        key = _FTS_ROWID
        # The index holds the published articles only: unless a condition needs the
        # article's row, ranking reads the index alone (about half the time).
        source = _FTS_JOIN if narrowed else table(FTS_TABLE)
        ranked = select(key, rank).select_from(source).where(matches, *narrowed)
    ordered = ranked.order_by(rank.desc(), key.desc()).limit(limit)
    top: dict[int, float] = dict(conn.execute(ordered).all())
    if not top:
        return []
    # Snippets are made for the few articles kept only, not for every match.
    shown = details.where(article.c.id.in_(list(top)), article.c.status == "published")
    rows = conn.execute(shown).all()
    hits = [
        ArticleHit(
            article_id=row.id,
            version=row.published_version,
            title=row.title,
            snippet=_fragments(row[-1]),
            visibility=row.visibility,
            category_id=row.category_id,
            category=row.category,
            updated_at=row.updated_at,
            rank=float(top[row.id]),
        )
        for row in rows
    ]
    return sorted(hits, key=lambda hit: (-hit.rank, -hit.article_id))


Plan = tuple[ColumnElement[float], ColumnElement[bool], Select[Any]]
"""A query's rank (higher is better), its match condition, and the select of the hits' details."""


def _sqlite(words: list[str], every: bool) -> Plan:
    # Each word quoted: FTS5 operators, column filters and punctuation in user text are inert.
    query = (" " if every else " OR ").join(f'"{word}"' for word in words)
    matches = _FTS.op("MATCH")(query)
    # bm25 is lower for better matches; negated, so that higher is better as on PostgreSQL.
    rank = -func.bm25(_FTS, 10.0, 1.0)
    snippet = func.snippet(_FTS, 1, MARK_START, MARK_END, " … ", 24)
    details = (
        select(*_COLUMNS, snippet)
        .select_from(_FTS_JOIN.outerjoin(category, category.c.id == article.c.category_id))
        .where(matches)  # snippet() works within a full-text query only
    )
    return rank, matches, details


def _postgresql(words: list[str], every: bool, language: str) -> Plan:
    query = _tsquery(words, every, language)
    matches = article.c.search_vector.op("@@")(query)
    rank = func.ts_rank(article.c.search_vector, query)
    snippet = func.ts_headline(_config(language), article.c.body, query, HEADLINE_OPTIONS)
    return rank, matches, select(*_COLUMNS, snippet).select_from(_WITH_CATEGORY)


def _config(language: str) -> ColumnElement[Any]:
    return literal(language, type_=REGCONFIG)


def _tsquery(words: list[str], every: bool, language: str) -> ColumnElement[Any]:
    if every:
        return func.plainto_tsquery(_config(language), " ".join(words))
    # "or" is websearch syntax: as a word of the text it would join its neighbours, not be sought.
    return func.websearch_to_tsquery(_config(language), " or ".join(w for w in words if w != "or"))


def _fragments(marked: str) -> tuple[Fragment, ...]:
    """``marked`` (terms between MARK_START and MARK_END) as plain and matched pieces."""
    pieces: list[Fragment] = []
    for part in re.split(f"({MARK_START}[^{MARK_END}]*{MARK_END})", marked):
        if part.startswith(MARK_START):
            pieces.append(Fragment(part.strip(MARK_START + MARK_END), True))
        elif part:
            pieces.append(Fragment(part, False))
    return tuple(pieces)
