"""Article feedback: was this helpful (yes or no, and a comment), per version of the article.

Staff give it as themselves; a portal customer as their party (``party_id``),
on public articles only. Counts are per version, so that an edit's effect shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, and_, case, func, insert, select, update

from crmkit import (
    NotFound,
    Transaction,
    ValidationError,
    check_storable_text,
    read_whole_number,
    utcnow,
)
from crmkit_service.knowledge.articles import get_article
from crmkit_service.knowledge.tables import article_version, feedback

FEEDBACK_FIELDS = frozenset({"helpful", "comment", "version"})
MAX_COMMENT = 2000
COMMENTS_SHOWN = 20


@frozen
class Feedback:
    id: int
    article_id: int
    version: int
    helpful: bool
    comment: str | None
    user_id: int | None
    party_id: int | None
    created_at: datetime


@frozen
class VersionFeedback:
    """How many found one version helpful and how many did not."""

    version: int
    helpful: int
    not_helpful: int


@frozen
class FeedbackSummary:
    """An article's feedback: totals, per version (newest first) and the latest comments."""

    article_id: int
    helpful: int
    not_helpful: int
    versions: tuple[VersionFeedback, ...]
    comments: tuple[Feedback, ...]


def give_feedback(
    tx: Transaction,
    article_id: int,
    data: Mapping[str, Any],
    *,
    party_id: int | None = None,
) -> Feedback:
    """Record ``{"helpful": true, "comment": "…"}`` on the published version (or ``version``, one
    that has been published). With ``party_id`` (a customer on the portal) public articles only."""
    unknown = set(data) - FEEDBACK_FIELDS
    if unknown:
        raise ValidationError(sorted(unknown)[0], "unknown field")
    helpful = data.get("helpful")
    if not isinstance(helpful, bool):
        raise ValidationError("helpful", "expected true or false")
    comment = data.get("comment")
    if comment is not None:
        if not isinstance(comment, str):
            raise ValidationError("comment", "expected text")
        check_storable_text("comment", comment)
        comment = comment.strip() or None
        if comment is not None and len(comment) > MAX_COMMENT:
            raise ValidationError("comment", f"at most {MAX_COMMENT} characters")
    current = get_article(tx.conn, article_id, public_only=party_id is not None)
    if current.status != "published" or current.published_version is None:
        raise NotFound(f"article {article_id} is not published")
    number = current.published_version
    if data.get("version") is not None:
        number = read_whole_number("version", data["version"], minimum=1, maximum=current.version)
        was_published = tx.conn.execute(
            select(article_version.c.published_at).where(
                article_version.c.article_id == article_id, article_version.c.number == number
            )
        ).scalar_one()
        if was_published is None:
            raise ValidationError("version", f"version {number} has never been published")
    row = tx.conn.execute(
        insert(feedback)
        .values(
            article_id=article_id,
            version=number,
            helpful=helpful,
            comment=comment,
            user_id=None if party_id is not None else tx.actor.user_id,
            party_id=party_id,
            created_at=utcnow(),
        )
        .returning(*feedback.c)
    ).one()
    return Feedback(**row._mapping)


def feedback_summary(conn: Connection, article_id: int) -> FeedbackSummary:
    """The counts of an article's feedback, per version, and its latest comments."""
    yes = func.coalesce(func.sum(case((feedback.c.helpful, 1), else_=0)), 0)
    no = func.coalesce(func.sum(case((feedback.c.helpful, 0), else_=1)), 0)
    rows = conn.execute(
        select(feedback.c.version, yes, no)
        .where(feedback.c.article_id == article_id)
        .group_by(feedback.c.version)
        .order_by(feedback.c.version.desc())
    ).all()
    versions = tuple(VersionFeedback(row[0], int(row[1]), int(row[2])) for row in rows)
    comments = conn.execute(
        select(feedback)
        .where(and_(feedback.c.article_id == article_id, feedback.c.comment.is_not(None)))
        .order_by(feedback.c.id.desc())
        .limit(COMMENTS_SHOWN)
    )
    return FeedbackSummary(
        article_id=article_id,
        helpful=sum(v.helpful for v in versions),
        not_helpful=sum(v.not_helpful for v in versions),
        versions=versions,
        comments=tuple(Feedback(**row._mapping) for row in comments),
    )


def feedback_of_party(conn: Connection, party_id: int) -> list[dict[str, Any]]:
    """What a customer said about articles, as JSON-ready data (for the privacy export)."""
    rows = conn.execute(
        select(feedback).where(feedback.c.party_id == party_id).order_by(feedback.c.id)
    )
    return [
        {
            "article_id": row.article_id,
            "version": row.version,
            "helpful": row.helpful,
            "comment": row.comment,
            "created_at": row.created_at.isoformat(),
        }
        for row in rows
    ]


def move_feedback(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    """Re-point the merged party's feedback to the survivor (else it would go with the party)."""
    tx.conn.execute(
        update(feedback).where(feedback.c.party_id == merged_id).values(party_id=survivor_id)
    )
