"""A survey's responses as CSV, one row per response, written a chunk at a time.

Only responses of parties the reader sees are exported, and anonymous ones. Every cell is
quoted, and a cell a spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return) gets a ``'`` in front, as the kernel's exports do (see the
kernel's docs/security.md): a respondent's free text is anybody's input.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, or_, select

from crmkit import Actor, Crm, csv_cell, party_table, seen_party_ids, sees_every_party
from crmkit_surveys.answering.tables import answer, response
from crmkit_surveys.results.aggregates import Filters
from crmkit_surveys.results.questions import QuestionInfo

CHUNK = 500
CHOICE_SEPARATOR = ";"
FIXED = ("response_id", "status", "completed_at", "language", "party_id", "party_name")


def columns(questions: Sequence[QuestionInfo]) -> list[str]:
    """The header: the response's fields, then a column per question (and its "other")."""
    names = list(FIXED)
    for q in questions:
        names.append(q.key)
        if q.other:
            names.append(f"{q.key}.other")
    return names


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _answer_cells(row: Any, question: QuestionInfo) -> dict[str, Any]:
    if question.kind in ("single", "multiple"):
        cells = {question.key: CHOICE_SEPARATOR.join(str(k) for k in row.choices or ())}
        if question.other:
            cells[f"{question.key}.other"] = row.text
        return cells
    return {question.key: row.score if question.scored else row.text}


def _where(survey_id: int, filters: Filters, actor: Actor, host: Any) -> list[Any]:
    statuses = ("completed", "partial") if filters.partial else ("completed",)
    where = [response.c.survey_id == survey_id, response.c.status.in_(statuses)]
    if filters.version_id is not None:
        where.append(response.c.version_id == filters.version_id)
    if filters.language is not None:
        where.append(response.c.language == filters.language)
    # A partial response was last saved when it was last answered.
    ended = func.coalesce(response.c.completed_at, response.c.updated_at)
    if filters.since is not None:
        where.append(ended >= filters.since)
    if filters.until is not None:
        where.append(ended < filters.until)
    if not sees_every_party(host, actor):
        seen = seen_party_ids(host, actor)
        where.append(or_(response.c.party_id.is_(None), response.c.party_id.in_(seen)))
    return where


def _chunk(conn: Connection, where: list[Any], after: int) -> list[Any]:
    query = (
        select(
            response.c.id,
            response.c.status,
            response.c.completed_at,
            response.c.language,
            response.c.party_id,
            party_table.c.display_name,
        )
        .select_from(response.outerjoin(party_table, party_table.c.id == response.c.party_id))
        .where(*where, response.c.id > after)
        .order_by(response.c.id)
        .limit(CHUNK)
    )
    return list(conn.execute(query))


def rows(
    conn: Connection,
    survey_id: int,
    questions: Sequence[QuestionInfo],
    filters: Filters,
    actor: Actor,
    host: Any,
) -> Iterator[dict[str, Any]]:
    """Each response's row (column name: value), oldest first."""
    where = _where(survey_id, filters, actor, host)
    by_key = {q.key: q for q in questions}
    after = 0
    while found := _chunk(conn, where, after):
        after = found[-1].id
        answers: dict[int, dict[str, Any]] = {}
        for row in conn.execute(
            select(answer).where(answer.c.response_id.in_([r.id for r in found]))
        ):
            question = by_key.get(row.question)
            if question is not None:
                answers.setdefault(row.response_id, {}).update(_answer_cells(row, question))
        for r in found:
            yield {
                "response_id": r.id,
                "status": r.status,
                "completed_at": r.completed_at,
                "language": r.language,
                "party_id": r.party_id,
                "party_name": r.display_name,
                **answers.get(r.id, {}),
            }


def csv_text(
    crm: Crm, actor: Actor, survey_id: int, questions: Sequence[QuestionInfo], filters: Filters
) -> Iterator[str]:
    """The CSV file, a chunk of lines at a time, read on a connection of its own."""
    names = columns(questions)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow([csv_cell(name) for name in names])
    with crm.read() as conn:
        for n, record in enumerate(rows(conn, survey_id, questions, filters, actor, crm.host)):
            writer.writerow([csv_cell(_cell(record.get(name))) for name in names])
            if n % CHUNK == CHUNK - 1:
                yield out.getvalue()
                out.seek(0)
                out.truncate()
    yield out.getvalue()
