"""Free-text answers containing every word searched for, newest first, a page at a time.

Unlike aggregates, a hit shows what one person wrote: only answers of parties the reader
sees are found, and anonymous ones (no party, or one since erased). Words are matched
without case (``ILIKE`` on PostgreSQL; on SQLite, whose ``LIKE`` folds ASCII letters only,
``Ä`` does not find ``ä``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from attrs import frozen
from sqlalchemy import ColumnElement, or_, select

from crmkit import (
    Page,
    Transaction,
    ValidationError,
    newest_first,
    party_table,
    seen_party_ids,
    sees_every_party,
)
from crmkit_surveys.answering.tables import answer, response
from crmkit_surveys.results.aggregates import Filters, answers_of_responses, conditions

MAX_WORDS = 10
MAX_QUERY = 200


@frozen
class Hit:
    """An answer's text, its response (``url``: the response's page) and the response's scores."""

    answer_id: int
    response_id: int
    question: str
    text: str
    answered_at: datetime
    language: str
    party_id: int | None
    party_name: str | None
    scores: dict[str, int]
    url: str


@frozen
class ScoreFilter:
    """Only responses whose answer to ``question`` (any scored one when None) is in
    ``minimum``..``maximum``."""

    minimum: int | None = None
    maximum: int | None = None
    question: str | None = None


def words_of(text: str) -> list[str]:
    """The words of a search: at most MAX_WORDS, ValidationError naming ``q`` otherwise."""
    if len(text) > MAX_QUERY:
        raise ValidationError("q", f"longer than {MAX_QUERY} characters")
    words = text.split()
    if not words:
        raise ValidationError("q", "is required")
    if len(words) > MAX_WORDS:
        raise ValidationError("q", f"at most {MAX_WORDS} words")
    return words


def _escaped(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _scored(scores: ScoreFilter) -> ColumnElement[bool]:
    scored = answer.alias("scored")
    where = [scored.c.response_id == response.c.id, scored.c.score.is_not(None)]
    if scores.question is not None:
        where.append(scored.c.question == scores.question)
    if scores.minimum is not None:
        where.append(scored.c.score >= scores.minimum)
    if scores.maximum is not None:
        where.append(scored.c.score <= scores.maximum)
    return select(scored.c.id).where(*where).exists()


def search_answers(
    tx: Transaction,
    survey_id: int,
    text: str,
    *,
    filters: Filters,
    question: str | None = None,
    scores: ScoreFilter | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> Page[Hit]:
    """A page of the texts (free-text answers and the "other" of a choice) of ``survey_id``
    holding every word of ``text``, of parties ``tx.actor`` sees or of nobody."""
    where = [
        *conditions(survey_id, filters),
        # An empty text is an erased party's "other": nothing written is left of it.
        answer.c.text.is_not(None),
        answer.c.text != "",
        *(answer.c.text.ilike(f"%{_escaped(w)}%", escape="\\") for w in words_of(text)),
    ]
    if question is not None:
        where.append(answer.c.question == question)
    if scores is not None:
        where.append(_scored(scores))
    if not sees_every_party(tx.hooks, tx.actor):
        seen = seen_party_ids(tx.hooks, tx.actor)
        where.append(or_(response.c.party_id.is_(None), response.c.party_id.in_(seen)))
    query = (
        select(
            answer.c.id,
            answer.c.response_id,
            answer.c.question,
            answer.c.text,
            answer.c.answered_at,
            response.c.language,
            response.c.party_id,
            party_table.c.display_name,
        )
        .select_from(
            answers_of_responses().outerjoin(party_table, party_table.c.id == response.c.party_id)
        )
        .where(*where)
    )
    found = newest_first(tx.conn, query, answer.c.id, lambda row: row, cursor=cursor, limit=limit)
    scored = _scores_of(tx, [row.response_id for row in found.items])
    return Page(
        [
            Hit(
                row.id,
                row.response_id,
                row.question,
                row.text,
                row.answered_at,
                row.language,
                row.party_id,
                row.display_name,
                scored.get(row.response_id, {}),
                f"/p/surveys/page/responses/{row.response_id}",
            )
            for row in found.items
        ],
        found.next_cursor,
    )


def _scores_of(tx: Transaction, response_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    rows = tx.conn.execute(
        select(answer.c.response_id, answer.c.question, answer.c.score).where(
            answer.c.response_id.in_(list(set(response_ids))), answer.c.score.is_not(None)
        )
    )
    found: dict[int, dict[str, int]] = {}
    for row in rows:
        found.setdefault(row.response_id, {})[row.question] = row.score
    return found
