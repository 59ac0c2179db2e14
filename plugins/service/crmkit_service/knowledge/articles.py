"""Articles and their versions: write, publish, archive, read.

Every edit is a new version, numbered from 1; one version at a time is the
published one, whose text the index and readers see. An edit can publish at once
or stay a draft beside the published text until someone publishes it, and any
earlier version can be published again. ``version`` on an article is its newest
version's number: a writer names the one they last read, and an edit made
meanwhile by someone else is refused (ConflictError) rather than overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, Select, insert, select, update

from crmkit import (
    ConflictError,
    NotFound,
    Page,
    Transaction,
    ValidationError,
    newest_first,
    read_choice,
    read_whole_number,
    record_audit,
    user_table,
    utcnow,
)
from crmkit_service import fields
from crmkit_service.knowledge.categories import read_category
from crmkit_service.knowledge.index import enter_index, leave_index
from crmkit_service.knowledge.tables import STATUSES, VISIBILITIES, article, article_version

ENTITY = "service.article"
"""The articles' name in the audit trail and in events."""
MAX_TITLE = 300
MAX_BODY = 200_000
MAX_NOTE = 500
CONTENT_FIELDS = ("title", "body", "category_id", "visibility")
WRITE_FIELDS = frozenset({*CONTENT_FIELDS, "note", "publish"})


@frozen
class Article:
    """An article as readers see it: the published version's text (the newest draft's before any)."""

    id: int
    title: str
    body: str
    category_id: int | None
    visibility: str
    status: str
    version: int
    """The newest version's number; name it when changing the article."""
    published_version: int | None
    created_by: int | None
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None


@frozen
class ArticleVersion:
    """One version of an article: what it said, who wrote it when, whether and when it went live."""

    article_id: int
    number: int
    title: str
    body: str
    category_id: int | None
    visibility: str
    note: str | None
    author_id: int | None
    author: str | None
    created_at: datetime
    published_at: datetime | None
    published_by: int | None


def create_article(tx: Transaction, data: Mapping[str, Any]) -> Article:
    """Write version 1 of a new article; published at once with ``"publish": true``, else a draft."""
    content = _read_content(tx.conn, data, required=True)
    note, publish = _note(data), _publish(data)
    content.setdefault("visibility", "internal")
    content.setdefault("category_id", None)
    now = utcnow()
    article_id = tx.conn.execute(
        insert(article)
        .values(
            title=content["title"],
            body=content["body"],
            category_id=content["category_id"],
            visibility=content["visibility"],
            status="draft",
            version=1,
            created_by=tx.actor.user_id,
            created_at=now,
            updated_at=now,
        )
        .returning(article.c.id)
    ).scalar_one()
    _add_version(tx, article_id, 1, content, note, now)
    record_audit(tx, ENTITY, article_id, "created", {"version": [None, 1]})
    if publish:
        _make_live(tx, article_id, 1, now)
    return _get(tx.conn, article_id)


def edit_article(
    tx: Transaction, article_id: int, data: Mapping[str, Any], *, version: int | None
) -> Article:
    """Write the next version: what ``data`` changes, the rest as the newest version has it."""
    current = _locked(tx, article_id, version)
    content = _read_content(tx.conn, data, required=False)
    note, publish = _note(data), _publish(data)
    if not content:
        raise ValidationError(
            "body", "nothing to change: send title, body, category_id or visibility"
        )
    newest = get_version(tx.conn, article_id, current.version)
    merged = {name: content.get(name, getattr(newest, name)) for name in CONTENT_FIELDS}
    number = current.version + 1
    now = utcnow()
    _add_version(tx, article_id, number, merged, note, now)
    changes: dict[str, Any] = {"version": number, "updated_at": now}
    if current.published_version is None:
        # Nothing is live (so nothing indexed): readers of drafts see the newest one.
        changes.update(merged)
    tx.conn.execute(update(article).where(article.c.id == article_id).values(**changes))
    record_audit(tx, ENTITY, article_id, "updated", {"version": [current.version, number]})
    if publish:
        _make_live(tx, article_id, number, now)
    return _get(tx.conn, article_id)


def publish_version(
    tx: Transaction, article_id: int, number: Any, *, version: int | None
) -> Article:
    """Make version ``number`` the live one (a draft, or an earlier version to go back to)."""
    current = _locked(tx, article_id, version)
    wanted = read_whole_number("number", number, minimum=1, maximum=current.version)
    _make_live(tx, article_id, wanted, utcnow())
    return _get(tx.conn, article_id)


def archive_article(tx: Transaction, article_id: int, *, version: int | None) -> Article:
    """Take an article out of search and readers' sight; publishing a version brings it back."""
    current = _locked(tx, article_id, version)
    if current.status == "archived":
        raise ConflictError(f"article {article_id} is archived already")
    leave_index(tx.conn, article_id)
    tx.conn.execute(
        update(article)
        .where(article.c.id == article_id)
        .values(status="archived", updated_at=utcnow(), search_vector=None)
    )
    record_audit(tx, ENTITY, article_id, "updated", {"status": [current.status, "archived"]})
    tx.emit("service.article_archived", ENTITY, article_id, {"id": article_id})
    return _get(tx.conn, article_id)


def get_article(conn: Connection, article_id: int, *, public_only: bool = False) -> Article:
    """An article in any status; with ``public_only``, only a published public one (NotFound else)."""
    query = select(article).where(article.c.id == article_id)
    if public_only:
        query = query.where(article.c.status == "published", article.c.visibility == "public")
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"article {article_id} does not exist")
    return _article(row)


def list_articles(
    conn: Connection,
    *,
    status: str | None = None,
    visibility: str | None = None,
    category_id: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Article]:
    """Articles newest first, filtered by status, visibility and category."""
    query: Select[Any] = select(article)
    if status is not None:
        query = query.where(article.c.status == read_choice("status", status, STATUSES))
    if visibility is not None:
        query = query.where(
            article.c.visibility == read_choice("visibility", visibility, VISIBILITIES)
        )
    if category_id is not None:
        query = query.where(article.c.category_id == category_id)
    return newest_first(conn, query, article.c.id, _article, cursor=cursor, limit=limit)


def get_version(conn: Connection, article_id: int, number: int) -> ArticleVersion:
    """Version ``number`` of an article (NotFound when there is none)."""
    row = conn.execute(
        _versions().where(
            article_version.c.article_id == article_id, article_version.c.number == number
        )
    ).first()
    if row is None:
        raise NotFound(f"article {article_id} has no version {number}")
    return ArticleVersion(**row._mapping)


def article_versions(conn: Connection, article_id: int) -> list[ArticleVersion]:
    """Every version of an article, the newest first."""
    get_article(conn, article_id)
    rows = conn.execute(
        _versions()
        .where(article_version.c.article_id == article_id)
        .order_by(article_version.c.number.desc())
    )
    return [ArticleVersion(**row._mapping) for row in rows]


def _versions() -> Select[Any]:
    return select(
        article_version.c.article_id,
        article_version.c.number,
        article_version.c.title,
        article_version.c.body,
        article_version.c.category_id,
        article_version.c.visibility,
        article_version.c.note,
        article_version.c.author_id,
        user_table.c.display_name.label("author"),
        article_version.c.created_at,
        article_version.c.published_at,
        article_version.c.published_by,
    ).outerjoin(user_table, user_table.c.id == article_version.c.author_id)


def _make_live(tx: Transaction, article_id: int, number: int, now: datetime) -> None:
    live = get_version(tx.conn, article_id, number)
    before = get_article(tx.conn, article_id)
    leave_index(tx.conn, article_id)
    tx.conn.execute(
        update(article)
        .where(article.c.id == article_id)
        .values(
            title=live.title,
            body=live.body,
            category_id=live.category_id,
            visibility=live.visibility,
            status="published",
            published_version=number,
            published_at=now,
            updated_at=now,
        )
    )
    tx.conn.execute(
        update(article_version)
        .where(article_version.c.article_id == article_id, article_version.c.number == number)
        .values(published_at=now, published_by=tx.actor.user_id)
    )
    enter_index(tx.conn, article_id, _language(tx))
    changes: dict[str, list[Any]] = {
        "status": [before.status, "published"],
        "published_version": [before.published_version, number],
    }
    record_audit(tx, ENTITY, article_id, "updated", changes)
    tx.emit(
        "service.article_published",
        ENTITY,
        article_id,
        {"id": article_id, "version": number, "visibility": live.visibility},
    )


def _add_version(
    tx: Transaction,
    article_id: int,
    number: int,
    content: Mapping[str, Any],
    note: str | None,
    now: datetime,
) -> None:
    tx.conn.execute(
        insert(article_version).values(
            article_id=article_id,
            number=number,
            note=note,
            author_id=tx.actor.user_id,
            created_at=now,
            **{name: content[name] for name in CONTENT_FIELDS},
        )
    )


def _locked(tx: Transaction, article_id: int, version: int | None) -> Article:
    """The article, locked against concurrent writers, if ``version`` is still its newest."""
    if version is None:
        raise ValidationError("version", "required: the version of the article you last read")
    row = tx.conn.execute(
        select(article).where(article.c.id == article_id).with_for_update()
    ).first()
    if row is None:
        raise NotFound(f"article {article_id} does not exist")
    if row.version != version:
        raise ConflictError(
            f"article {article_id} is at version {row.version}, not {version}: "
            "someone changed it since you read it"
        )
    return _article(row)


def _read_content(conn: Connection, data: Mapping[str, Any], *, required: bool) -> dict[str, Any]:
    """The content fields given in ``data`` (title and body required for a new article), checked.

    A title, body or visibility given as null is not given; a category given as null
    is none (the article leaves its category).
    """
    unknown = set(data) - WRITE_FIELDS - {"version"}
    if unknown:
        raise ValidationError(sorted(unknown)[0], "unknown field")
    content: dict[str, Any] = {}
    for name, limit in (("title", MAX_TITLE), ("body", MAX_BODY)):
        if data.get(name) is not None or required:
            content[name] = fields.required_text(name, data.get(name), limit=limit)
    if data.get("visibility") is not None:
        content["visibility"] = read_choice("visibility", data["visibility"], VISIBILITIES)
    if "category_id" in data:
        content["category_id"] = read_category(conn, "category_id", data["category_id"])
    return content


def _note(data: Mapping[str, Any]) -> str | None:
    """What the writer says about their change ("fixed the refund period"), if anything."""
    note = data.get("note")
    return None if note is None else fields.required_text("note", note, limit=MAX_NOTE)


def _publish(data: Mapping[str, Any]) -> bool:
    publish = data.get("publish", False)
    if not isinstance(publish, bool):
        raise ValidationError("publish", "expected true or false")
    return publish


def _language(tx: Transaction) -> str:
    language: str = tx.app.settings_of["service"].knowledge.language
    return language


def _get(conn: Connection, article_id: int) -> Article:
    return get_article(conn, article_id)


def _article(row: Any) -> Article:
    mapping = dict(row._mapping)
    mapping.pop("search_vector", None)
    return Article(**mapping)
