"""Responses as staff read them: a survey's responses, one response with its answers.

A response of a party is seen exactly by whoever sees the party (a party the reader may not
see: its responses are left out, and one asked for by id does not exist); an anonymous one
by every reader.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, or_, select

from crmkit import (
    Actor,
    NotFound,
    Page,
    newest_first,
    seen_party,
    seen_party_ids,
    sees_every_party,
)
from crmkit_surveys.answering.completion import LABELS, scored_questions
from crmkit_surveys.answering.model import (
    Choice,
    Response,
    ResponseDetail,
    ShownAnswer,
    SurveyRef,
)
from crmkit_surveys.answering.store import answers_of
from crmkit_surveys.answering.tables import answer, response
from crmkit_surveys.definitions.model import Definition
from crmkit_surveys.definitions.service import get_survey, get_version


def seen_responses(host: Any, actor: Actor) -> ColumnElement[bool] | None:
    """The condition keeping the responses ``actor`` sees; None when they see every one."""
    if sees_every_party(host, actor):
        return None
    return or_(response.c.party_id.is_(None), response.c.party_id.in_(seen_party_ids(host, actor)))


def list_responses(
    conn: Connection,
    host: Any,
    actor: Actor,
    survey_id: int,
    *,
    status: str | None = None,
    since: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Response]:
    """A page of the survey's responses the actor sees, newest first; ``status`` partial or
    completed, ``since``: changed at or after. NotFound for a survey that does not exist."""
    get_survey(conn, survey_id)
    conditions: list[ColumnElement[bool]] = [response.c.survey_id == survey_id]
    seen = seen_responses(host, actor)
    if seen is not None:
        conditions.append(seen)
    if status is not None:
        conditions.append(response.c.status == status)
    if since is not None:
        conditions.append(response.c.updated_at >= since)
    query = select(response).where(*conditions)
    return newest_first(conn, query, response.c.id, Response.from_row, cursor=cursor, limit=limit)


def headline_scores(conn: Connection, survey_id: int, found: Sequence[Response]) -> dict[int, str]:
    """Per response, the score that stands for it (``NPS 9``): its first answered NPS or CSAT
    question's, else its first answered rating's (as on the timeline), for a list of them."""
    candidates: dict[int, list[tuple[str, str]]] = {
        version_id: [
            (q.key, LABELS[q.kind])
            for q in scored_questions(get_version(conn, version_id).definition)
        ]
        for version_id in {r.version_id for r in found}
    }
    wanted = {r.id: candidates[r.version_id] for r in found if candidates[r.version_id]}
    if not wanted:
        return {}
    scores: dict[int, dict[str, int]] = {}
    rows = conn.execute(
        select(answer.c.response_id, answer.c.question, answer.c.score).where(
            answer.c.survey_id == survey_id,
            answer.c.response_id.in_(wanted),
            answer.c.score.is_not(None),
        )
    )
    for row in rows:
        scores.setdefault(row.response_id, {})[row.question] = row.score
    shown: dict[int, str] = {}
    for response_id, given in scores.items():
        label = next(
            (f"{label} {given[key]}" for key, label in wanted[response_id] if key in given), None
        )
        if label is not None:
            shown[response_id] = label
    return shown


def _label(texts: dict[str, str], language: str, definition: Definition) -> str:
    return texts.get(language) or texts[definition.languages[0]]


def response_detail(conn: Connection, host: Any, actor: Actor, response_id: int) -> ResponseDetail:
    """The response with its answers, the questions' texts in the response's language.
    NotFound for a response of a party the actor may not see, as for one that does not exist."""
    row = conn.execute(select(response).where(response.c.id == response_id)).first()
    if row is not None and row.party_id is not None:
        try:
            seen_party(host, conn, actor, row.party_id)
        except NotFound:
            row = None
    if row is None:
        raise NotFound(f"response {response_id} does not exist")
    found = Response.from_row(row)
    definition = get_version(conn, found.version_id).definition
    survey = get_survey(conn, found.survey_id)
    stored = answers_of(conn, found.id)
    shown = []
    for question in definition.questions():
        given = stored.get(question.key)
        if given is None:
            continue
        options = {o.key: o.text for o in question.options}
        shown.append(
            ShownAnswer(
                question=question.key,
                kind=question.kind,
                label=_label(question.text, found.language, definition),
                score=given.score,
                scale=question.scale,
                choices=tuple(
                    Choice(key, _label(options[key], found.language, definition))
                    for key in given.choices or ()
                    if key in options
                ),
                text=given.text,
                answered_at=given.answered_at,
            )
        )
    return ResponseDetail(
        response=found, survey=SurveyRef(survey.id, survey.name), answers=tuple(shown)
    )
