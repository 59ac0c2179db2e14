"""One question's figures side by side: by segment (the campaigns plugin's), by the party's
country or role, by the response's language, or by the send or rule that invited it.

Cells by country, role, language and send count every response, as every aggregate does. A
segment's cell counts the parties of the segment **the reader sees** (the campaigns plugin's
``target_query`` applies the record rules), so it never tells more than the segment's
preview would.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, String, cast, func, literal, select

from crmkit import Transaction, ValidationError, contact_point_table, party_table
from crmkit_surveys.answering.tables import response
from crmkit_surveys.invitations.tables import invitation, rule, send
from crmkit_surveys.results.aggregates import (
    Figures,
    Filters,
    Tally,
    answers_of_responses,
    tallies,
)
from crmkit_surveys.results.questions import QuestionInfo

DIMENSIONS = ("segment", "country", "role", "language", "send")
MAX_SEGMENTS = 10
NONE_KEY = "none"


@frozen
class Cell:
    """``key``: the segment id, country code, role, language, ``send:3``/``rule:2``, or
    ``none`` (an anonymous response, a party without an address, no invitation)."""

    key: str
    label: str
    figures: Figures


@frozen
class Crosstab:
    question: str
    kind: str
    text: str
    by: str
    whole: Figures
    cells: list[Cell]


def crosstab(
    tx: Transaction,
    survey_id: int,
    question: QuestionInfo,
    by: str,
    filters: Filters,
    segment_ids: Sequence[int] = (),
) -> Crosstab:
    """``question``'s figures for the whole and per value of ``by``."""
    conn = tx.conn
    whole = _one(tallies(conn, survey_id, filters, questions=[question.key]), None, question)
    if by == "segment":
        cells = _segments(tx, survey_id, question, filters, segment_ids)
    else:
        if segment_ids:
            raise ValidationError("segment_id", "only a cross-tab by segment takes segments")
        cells = _grouped(conn, survey_id, question, by, filters)
    return Crosstab(question.key, question.kind, question.text, by, whole, cells)


def _one(found: dict[tuple[Any, str], Tally], key: Any, question: QuestionInfo) -> Figures:
    return found.get((key, question.key), Tally()).figures(question)


def _segments(
    tx: Transaction,
    survey_id: int,
    question: QuestionInfo,
    filters: Filters,
    segment_ids: Sequence[int],
) -> list[Cell]:
    if "campaigns" not in tx.hooks.loaded:
        raise ValidationError("by", "a cross-tab by segment needs the campaigns plugin")
    if not segment_ids:
        raise ValidationError("segment_id", "name at least one segment")
    if len(segment_ids) > MAX_SEGMENTS:
        raise ValidationError("segment_id", f"at most {MAX_SEGMENTS} segments")
    # Imported here: surveys works without campaigns, and asks for segments only when it is there.
    from crmkit_campaigns import target_query

    cells = []
    for segment_id in segment_ids:
        members = target_query(tx, segment_id=segment_id)
        found = tallies(
            tx.conn,
            survey_id,
            filters,
            questions=[question.key],
            where=[response.c.party_id.in_(members)],
        )
        cells.append(Cell(str(segment_id), f"Segment {segment_id}", _one(found, None, question)))
    return cells


def _grouped(
    conn: Connection, survey_id: int, question: QuestionInfo, by: str, filters: Filters
) -> list[Cell]:
    source: Any = answers_of_responses()
    if by == "language":
        group: Any = response.c.language
    elif by == "role":
        source = source.outerjoin(party_table, party_table.c.id == response.c.party_id)
        group = party_table.c.role
    elif by == "country":
        cp = contact_point_table
        # The first address, as territories go by; its key starts with the country code.
        group = (
            select(func.substr(cp.c.key, 1, 2))
            .where(cp.c.party_id == response.c.party_id, cp.c.kind == "address", cp.c.position == 0)
            .correlate(response)
            .scalar_subquery()
        )
    else:
        source = source.outerjoin(invitation, invitation.c.id == response.c.invitation_id)
        group = func.coalesce(
            literal("send:") + cast(invitation.c.send_id, String),
            literal("rule:") + cast(invitation.c.rule_id, String),
        )
    found = tallies(
        conn,
        survey_id,
        filters,
        questions=[question.key],
        group=group.label("key"),
        source=source,
    )
    keys = sorted({key for key, _ in found}, key=lambda k: (k is None, str(k)))
    labels = _send_labels(conn, keys) if by == "send" else {}
    return [
        Cell(
            NONE_KEY if key is None else str(key),
            labels.get(key) or _label(by, key),
            _one(found, key, question),
        )
        for key in keys
    ]


def _label(by: str, key: Any) -> str:
    if key is not None:
        return str(key)
    return {
        "role": "anonymous",
        "country": "no address",
        "language": "none",
        "send": "no send or rule",
    }[by]


def _send_labels(conn: Connection, keys: Sequence[Any]) -> dict[Any, str]:
    send_ids = [int(k[5:]) for k in keys if isinstance(k, str) and k.startswith("send:")]
    rule_ids = [int(k[5:]) for k in keys if isinstance(k, str) and k.startswith("rule:")]
    labels: dict[Any, str] = {}
    for row in conn.execute(
        select(send.c.id, send.c.channel, send.c.created_at).where(send.c.id.in_(send_ids))
    ):
        labels[f"send:{row.id}"] = f"Send {row.id} ({row.channel}, {row.created_at:%Y-%m-%d})"
    rules = conn.execute(select(rule.c.id, rule.c.event_type).where(rule.c.id.in_(rule_ids)))
    for rule_id, event_type in rules:
        labels[f"rule:{rule_id}"] = f"Rule {rule_id} (after {event_type})"
    return labels
