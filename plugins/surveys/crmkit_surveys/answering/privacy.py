"""What the answering part holds on a party: moved to the survivor of a merge, exported, erased.

Erasing keeps the party's scores and choices (an "other" chosen included: texts become
empty), anonymous, for the survey's figures; what the party wrote is blanked, and the events about their responses keep only their ids.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update

from crmkit import Transaction, forget_event_payloads
from crmkit_surveys.answering.event_types import RESPONSE_ENTITY
from crmkit_surveys.answering.store import answers_of
from crmkit_surveys.answering.tables import answer, response
from crmkit_surveys.definitions.tables import survey


def move_to_survivor(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    tx.conn.execute(
        update(response).where(response.c.party_id == merged_id).values(party_id=survivor_id)
    )


def export_of(conn: Connection, party_id: int) -> dict[str, Any]:
    rows = conn.execute(
        select(response, survey.c.name.label("survey_name"))
        .join(survey, survey.c.id == response.c.survey_id)
        .where(response.c.party_id == party_id)
        .order_by(response.c.id)
    ).all()
    return {
        "responses": [
            {
                "id": row.id,
                "survey_id": row.survey_id,
                "survey": row.survey_name,
                "version_id": row.version_id,
                "language": row.language,
                "status": row.status,
                "started_at": row.started_at.isoformat(),
                "completed_at": None if row.completed_at is None else row.completed_at.isoformat(),
                "case_ref": row.case_ref,
                "answers": [
                    {
                        "question": found.question,
                        "kind": found.kind,
                        "score": found.score,
                        "choices": None if found.choices is None else list(found.choices),
                        "text": found.text,
                        "answered_at": found.answered_at.isoformat(),
                    }
                    for found in answers_of(conn, row.id).values()
                ],
            }
            for row in rows
        ]
    }


def erase(tx: Transaction, party_id: int) -> None:
    ids = list(
        tx.conn.execute(select(response.c.id).where(response.c.party_id == party_id)).scalars()
    )
    if not ids:
        return
    # A text's being there is counted (an "other" chosen, a text question answered): an
    # empty text keeps the figures the same and holds nothing written.
    tx.conn.execute(
        update(answer)
        .where(answer.c.response_id.in_(ids), answer.c.text.is_not(None))
        .values(text="")
    )
    tx.conn.execute(update(response).where(response.c.id.in_(ids)).values(party_id=None))
    forget_event_payloads(tx, RESPONSE_ENTITY, ids)
