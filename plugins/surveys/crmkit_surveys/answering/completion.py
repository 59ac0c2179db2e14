"""Completing a response, and what it sets off, all in one transaction: the response and its
invitation completed, answers to questions no longer asked dropped, the answer on the party's
timeline, the kernel's ``feedback_received`` hook (the service plugin may open a case), and
the event ``surveys.response_completed``.

A response is completed once: a second completion is a conflict and sets off nothing again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import update

from crmkit import (
    ConflictError,
    RecordRef,
    Transaction,
    ValidationError,
    build_interaction,
    log_interaction,
)
from crmkit_surveys.answering import flow
from crmkit_surveys.answering.event_types import COMPLETED, RESPONSE_ENTITY
from crmkit_surveys.answering.model import REF_KIND, Given, Response
from crmkit_surveys.answering.store import drop_answers, get_response, given_of
from crmkit_surveys.answering.tables import response
from crmkit_surveys.definitions.model import Definition, Question
from crmkit_surveys.definitions.service import get_survey, get_version
from crmkit_surveys.invitations.tables import invitation

LABELS = {"nps": "NPS", "csat": "CSAT", "rating": "rating"}
NO_SCALE = (0, 10)
"""The scale named to ``feedback_received`` when the survey asks no score (the score is None)."""
CASE_REF_LIMIT = 100


def scored_questions(definition: Definition) -> list[Question]:
    """The questions whose score may stand for a response, in order of preference: the NPS
    and CSAT questions in the survey's order, then the ratings."""
    questions = definition.questions()
    return [q for q in questions if q.kind in ("nps", "csat")] + [
        q for q in questions if q.kind == "rating"
    ]


def headline(definition: Definition, given: Mapping[str, Given]) -> Question | None:
    """The question whose score stands for the response: the first ANSWERED NPS or CSAT
    question, else the first answered rating; None when no score was given (a skipped
    question must not hide a score given to a later one)."""
    return next((q for q in scored_questions(definition) if _score(given, q) is not None), None)


def _score(given: Mapping[str, Given], question: Question) -> int | None:
    found = given.get(question.key)
    return None if found is None else found.score


def first_score(definition: Definition, given: Mapping[str, Given], kind: str) -> int | None:
    """The score of the first answered question of ``kind``; None when none was answered."""
    scores = (_score(given, q) for q in definition.questions() if q.kind == kind)
    return next((score for score in scores if score is not None), None)


def free_text(definition: Definition, given: Mapping[str, Given]) -> str | None:
    """What the respondent wrote (text answers and the "other" of choices), in the survey's
    order, one paragraph each; None when they wrote nothing."""
    texts = [
        found.text
        for found in (given.get(q.key) for q in definition.questions())
        if found is not None and found.text
    ]
    return "\n\n".join(texts) or None


def subject(name: str, question: Question | None, given: Mapping[str, Given]) -> str:
    found = None if question is None else given.get(question.key)
    if question is None or found is None or found.score is None:
        return f"Answered {name}"
    return f"Answered {name}: {LABELS[question.kind]} {found.score}"


def complete(tx: Transaction, response_id: int, now: datetime) -> Response:
    """Complete the partial response ``response_id``.

    ValidationError naming ``answers.<key>`` when a required question that is asked has no
    answer; ConflictError when the response is completed already. Nothing is changed then.
    """
    saved = get_response(tx.conn, response_id)
    if saved.status == "completed":
        raise ConflictError(f"response {response_id} is completed already")
    definition = get_version(tx.conn, saved.version_id).definition
    survey = get_survey(tx.conn, saved.survey_id)
    given = given_of(tx.conn, saved.id)
    lacking = flow.missing(definition, given)
    if lacking:
        raise ValidationError(f"answers.{lacking[0][1].key}", "is required and not answered")
    kept = flow.counted(definition, given)
    drop_answers(tx, saved.id, set(given) - set(kept))
    changed = tx.conn.execute(
        update(response)
        .where(response.c.id == saved.id, response.c.status == "partial")
        .values(status="completed", completed_at=now, updated_at=now)
    ).rowcount
    if changed != 1:
        raise ConflictError(f"response {response_id} is completed already")
    if saved.invitation_id is not None:
        tx.conn.execute(
            update(invitation)
            .where(invitation.c.id == saved.invitation_id)
            .values(status="completed", completed_at=now)
        )
    scored = headline(definition, kept)
    text = free_text(definition, kept)
    case_ref = None
    if saved.party_id is not None:
        log_interaction(
            tx,
            build_interaction(
                {
                    "party_id": saved.party_id,
                    "channel": "web",
                    "direction": "inbound",
                    "occurred_at": now,
                    "subject": subject(survey.name, scored, kept),
                    "summary": text,
                    "refs": [{"kind": REF_KIND, "id": str(saved.id)}],
                },
                source="surveys",
            ),
        )
        case_ref = _feedback(tx, saved, survey.name, scored, kept, text)
    if case_ref is not None:
        tx.conn.execute(update(response).where(response.c.id == saved.id).values(case_ref=case_ref))
    tx.emit(
        COMPLETED,
        RESPONSE_ENTITY,
        saved.id,
        {
            "survey_id": saved.survey_id,
            "response_id": saved.id,
            "party_id": saved.party_id,
            "version_id": saved.version_id,
            "nps": first_score(definition, kept, "nps"),
            "csat": first_score(definition, kept, "csat"),
        },
    )
    return get_response(tx.conn, saved.id)


def _feedback(
    tx: Transaction,
    saved: Response,
    survey: str,
    scored: Question | None,
    given: Mapping[str, Given],
    text: str | None,
) -> str | None:
    """What the plugins implementing ``feedback_received`` made of the answer: the first
    record they name, as ``kind:id``."""
    found = None if scored is None else given.get(scored.key)
    made: list[RecordRef] = tx.hooks.call(
        "feedback_received",
        tx=tx,
        party_id=saved.party_id,
        survey=survey,
        score=None if found is None else found.score,
        scale=NO_SCALE if scored is None or scored.scale is None else scored.scale,
        text=text,
        reference=f"{REF_KIND}:{saved.id}",
    )
    if not made:
        return None
    return f"{made[0].kind}:{made[0].id}"[:CASE_REF_LIMIT]
