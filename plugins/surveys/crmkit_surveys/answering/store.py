"""Responses and answers in the database: started on the first page saved, each page's answers
replacing what it held before, read back as the answer pages and staff see them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update

from crmkit import NotFound, Transaction
from crmkit_surveys.answering.model import Answer, Given, Response
from crmkit_surveys.answering.tables import answer, response
from crmkit_surveys.definitions.model import Question
from crmkit_surveys.invitations.model import Invitation
from crmkit_surveys.invitations.tables import invitation


def get_response(conn: Connection, response_id: int) -> Response:
    row = conn.execute(select(response).where(response.c.id == response_id)).first()
    if row is None:
        raise NotFound(f"response {response_id} does not exist")
    return Response.from_row(row)


def response_of_invitation(conn: Connection, invitation_id: int) -> Response | None:
    row = conn.execute(select(response).where(response.c.invitation_id == invitation_id)).first()
    return None if row is None else Response.from_row(row)


def answers_of(conn: Connection, response_id: int) -> dict[str, Answer]:
    """The response's answers by question key."""
    rows = conn.execute(
        select(answer).where(answer.c.response_id == response_id).order_by(answer.c.id)
    )
    return {row.question: Answer.from_row(row) for row in rows}


def given_of(conn: Connection, response_id: int | None) -> dict[str, Given]:
    if response_id is None:
        return {}
    return {key: found.given for key, found in answers_of(conn, response_id).items()}


def start_response(tx: Transaction, found: Invitation, language: str, now: datetime) -> Response:
    """A partial response for the invitation; the invitation is then being answered."""
    response_id = tx.conn.execute(
        insert(response)
        .values(
            survey_id=found.survey_id,
            version_id=found.version_id,
            invitation_id=found.id,
            party_id=found.party_id,
            language=language,
            status="partial",
            started_at=now,
            updated_at=now,
        )
        .returning(response.c.id)
    ).scalar_one()
    tx.conn.execute(
        update(invitation)
        .where(invitation.c.id == found.id)
        .values(
            status="answering",
            opened_at=found.opened_at or now,
        )
    )
    return get_response(tx.conn, response_id)


def save_page(
    tx: Transaction,
    saved: Response,
    questions: tuple[Question, ...],
    given: Mapping[str, Given | None],
    language: str,
    now: datetime,
) -> None:
    """The page's answers in place of what its ``questions`` had: a question left blank loses
    its answer; the response is then in ``language``, changed ``now``."""
    before = answers_of(tx.conn, saved.id)
    for question in questions:
        new = given.get(question.key)
        old = before.get(question.key)
        if new is None:
            if old is not None:
                tx.conn.execute(
                    delete(answer).where(
                        answer.c.response_id == saved.id, answer.c.question == question.key
                    )
                )
            continue
        if old is not None and old.given == new:
            continue
        values = {
            "kind": question.kind,
            "score": new.score,
            "choices": None if new.choices is None else list(new.choices),
            "text": new.text,
            "answered_at": now,
        }
        if old is None:
            tx.conn.execute(
                insert(answer).values(
                    response_id=saved.id, survey_id=saved.survey_id, question=question.key, **values
                )
            )
        else:
            tx.conn.execute(
                update(answer)
                .where(answer.c.response_id == saved.id, answer.c.question == question.key)
                .values(**values)
            )
    tx.conn.execute(
        update(response).where(response.c.id == saved.id).values(language=language, updated_at=now)
    )


def drop_answers(tx: Transaction, response_id: int, keys: set[str]) -> None:
    if keys:
        tx.conn.execute(
            delete(answer).where(answer.c.response_id == response_id, answer.c.question.in_(keys))
        )
