"""The review queue: possible duplicates a person decides on (merge or dismiss)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from attrs import frozen
from sqlalchemy import Connection, Select, insert, select, update

from crmkit.core.db import Transaction
from crmkit.core.errors import ConflictError, NotFound, ValidationError
from crmkit.core.pagination import Page, check_limit, cursor_id, decode_cursor, encode_cursor
from crmkit.core.parties import merge_parties
from crmkit.core.tables import match_review, utcnow

STATUSES: tuple[str, ...] = ("open", "merged", "dismissed")
DECISIONS: tuple[str, ...] = ("merge", "dismiss")


@frozen
class MatchReview:
    """A stored prospect (``candidate_id``) that may be the same party as ``existing_id``."""

    id: int
    candidate_id: int
    existing_id: int
    score: int
    """How sure the matcher was, in percent."""
    status: Literal["open", "merged", "dismissed"]
    created_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    merged_id: int | None = None
    """The party a merge took away (status ``merged``): ``candidate_id`` and ``existing_id``
    then both name the survivor, into which the merged party's rows went."""


def _review(row: Any) -> MatchReview:
    return MatchReview(**row._mapping)


_OPEN = insert(match_review).returning(match_review.c.id)


def open_reviews(tx: Transaction, candidate_id: int, matches: list[tuple[int, float]]) -> list[int]:
    """Queue ``candidate_id`` against each ``(party id, score)``; emits ``match_review.opened``."""
    now = utcnow()
    ids = []
    for existing_id, score in matches:
        review_id = tx.conn.execute(
            _OPEN,
            {
                "candidate_id": candidate_id,
                "existing_id": existing_id,
                "score": round(score * 100),
                "status": "open",
                "created_at": now,
            },
        ).scalar_one()
        tx.emit(
            "match_review.opened",
            "match_review",
            review_id,
            {"id": review_id, "candidate_id": candidate_id, "existing_id": existing_id},
        )
        ids.append(review_id)
    return ids


def get_review(conn: Connection, review_id: int) -> MatchReview:
    row = conn.execute(select(match_review).where(match_review.c.id == review_id)).first()
    if row is None:
        raise NotFound(f"match review {review_id} does not exist")
    return _review(row)


def list_reviews(
    conn: Connection,
    *,
    status: str = "open",
    cursor: str | None = None,
    limit: int = 50,
    parties: Select[Any] | None = None,
) -> Page[MatchReview]:
    """A page of reviews of ``status``, oldest first; with ``parties`` (a query of party ids),
    only reviews of which both parties are among them."""
    if status not in STATUSES:
        raise ValidationError("status", f"expected one of {', '.join(STATUSES)}")
    check_limit(limit)
    query = select(match_review).where(match_review.c.status == status)
    if parties is not None:
        query = query.where(
            match_review.c.candidate_id.in_(parties), match_review.c.existing_id.in_(parties)
        )
    if cursor is not None:
        (last_id,) = decode_cursor(cursor, 1)
        query = query.where(match_review.c.id > cursor_id(last_id))
    rows = conn.execute(query.order_by(match_review.c.id).limit(limit + 1)).all()
    items = [_review(r) for r in rows[:limit]]
    more = len(rows) > limit
    return Page(items, encode_cursor([items[-1].id]) if more else None)


def decide(tx: Transaction, review: MatchReview, decision: str) -> MatchReview:
    """Merge the candidate into the existing party, or dismiss the pair; emits ``match_review.decided``.

    ``review`` is as :func:`get_review` read it in ``tx``. Only an open review
    can be decided: a second decision is a :class:`ConflictError`.
    """
    if decision not in DECISIONS:
        raise ValidationError("decision", f"expected one of {', '.join(DECISIONS)}")
    if review.status != "open":
        raise ConflictError(f"match review {review.id} is already {review.status}")
    if decision == "merge":
        merge_parties(tx, review.existing_id, review.candidate_id)
    status = "merged" if decision == "merge" else "dismissed"
    # RETURNING: the merge re-pointed the review's own ids, so the answer is read as written.
    decided = tx.conn.execute(
        update(match_review)
        .where(match_review.c.id == review.id)
        .values(status=status, decided_by=tx.actor.username, decided_at=utcnow())
        .returning(*match_review.c)
    ).one()
    tx.emit(
        "match_review.decided",
        "match_review",
        review.id,
        # The review's own ids point at the survivor after a merge: the event keeps both.
        {
            "id": review.id,
            "decision": decision,
            "existing_id": review.existing_id,
            "candidate_id": review.candidate_id,
        },
    )
    return _review(decided)
