"""Customer satisfaction: a resolved case rated 1 to 5 with a comment, once per resolution."""

from __future__ import annotations

from datetime import datetime

from attrs import asdict, frozen
from sqlalchemy import Connection, exists, insert, select

from crmkit import ConflictError, Transaction, ValidationError, check_storable_text
from crmkit_service.cases.model import Case
from crmkit_service.cases.service import add_event
from crmkit_service.portal.tables import case_rating

SCORES = (1, 2, 3, 4, 5)
MAX_COMMENT = 2000
RATED_STATUSES = ("resolved", "closed")


@frozen
class Rating:
    """How the customer rated one resolution of a case."""

    case_id: int
    resolved_at: datetime
    score: int
    comment: str
    created_at: datetime


def may_be_rated(case: Case) -> bool:
    """Whether the case is resolved (or closed after its resolution), so that there is something to rate."""
    return case.status in RATED_STATUSES and case.resolved_at is not None


def rating_of(conn: Connection, case: Case) -> Rating | None:
    """The rating of the case's latest resolution, if it was rated."""
    if case.resolved_at is None:
        return None
    row = conn.execute(
        select(
            case_rating.c.case_id,
            case_rating.c.resolved_at,
            case_rating.c.score,
            case_rating.c.comment,
            case_rating.c.created_at,
        ).where(case_rating.c.case_id == case.id, case_rating.c.resolved_at == case.resolved_at)
    ).one_or_none()
    return None if row is None else Rating(**row._mapping)


def rate_case(tx: Transaction, case: Case, score: int, comment: str, now: datetime) -> Rating:
    """Record the customer's rating of the case's resolution, and note it on the case.

    ValidationError naming ``score`` or ``comment`` for a bad value or a case not
    resolved; ConflictError when this resolution has been rated already.
    """
    if score not in SCORES:
        raise ValidationError("score", "choose a rating from 1 (poor) to 5 (excellent)")
    check_storable_text("comment", comment)
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationError("comment", f"a comment may be at most {MAX_COMMENT} characters long")
    if not may_be_rated(case):
        raise ValidationError("score", "a case can be rated once it is resolved")
    assert case.resolved_at is not None
    rated = tx.conn.execute(
        select(
            exists().where(
                case_rating.c.case_id == case.id, case_rating.c.resolved_at == case.resolved_at
            )
        )
    ).scalar_one()
    if rated:
        raise ConflictError("this resolution has been rated already")
    rating = Rating(case.id, case.resolved_at, score, comment, now)
    tx.conn.execute(insert(case_rating).values(**asdict(rating)))
    add_event(tx, case, "feedback", public=False, body=comment or None, data={"score": score})
    return rating
