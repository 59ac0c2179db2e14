"""Survey answers (the kernel's ``feedback_received`` hook) that need someone from service.

A detractor's score (at or below the threshold, on the survey's scale rescaled to the
setting's) or free text that reads as a complaint opens a case for the party; if the
party has a recent case from the same survey, the answer is added to it instead, and
a resolved or closed one is reopened. The surveys plugin's ``reference`` makes a
repeated call for the same answer do nothing more.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from attrs import evolve
from sqlalchemy import select

from crmkit import (
    SYSTEM,
    RecordRef,
    Transaction,
    ValidationError,
    check_storable_text,
    get_party,
    utcnow,
)
from crmkit_service import fields
from crmkit_service.cases import service
from crmkit_service.cases.model import Case
from crmkit_service.cases.settings import FeedbackSettings
from crmkit_service.cases.tables import case, case_event

SUBJECT = "Survey feedback: {survey}"


def is_detractor(score: int | None, scale: tuple[int, int], settings: FeedbackSettings) -> bool:
    if score is None:
        return False
    lowest, highest = scale
    rescaled = (score - lowest) / (highest - lowest) * settings.scale_max
    return rescaled <= settings.detractor_at_or_below


def is_complaint(text: str | None, settings: FeedbackSettings) -> bool:
    folded = (text or "").casefold()
    # Whole words (a plural too): "unbroken" is no complaint about something broken.
    return any(
        re.search(rf"(?<!\w){re.escape(word.casefold())}(?:e?s)?(?!\w)", folded)
        for word in settings.complaint_words
    )


def _check(score: Any, scale: Any, text: Any) -> None:
    if (
        not isinstance(scale, tuple | list)
        or len(scale) != 2
        or not all(isinstance(n, int) and not isinstance(n, bool) for n in scale)
        or scale[0] >= scale[1]
    ):
        raise ValidationError("scale", "expected (lowest, highest), whole numbers, lowest first")
    if score is not None and (
        not isinstance(score, int) or isinstance(score, bool) or not scale[0] <= score <= scale[1]
    ):
        raise ValidationError("score", f"expected a whole number from {scale[0]} to {scale[1]}")
    if text is not None:
        if not isinstance(text, str):
            raise ValidationError("text", "expected text")
        check_storable_text("text", text)


def _answered_before(tx: Transaction, survey: str, reference: str | None) -> int | None:
    if reference is None:
        return None
    found = tx.conn.execute(
        select(case_event.c.case_id).where(
            case_event.c.kind == "feedback",
            case_event.c.data["reference"].as_string() == reference,
            case_event.c.data["survey"].as_string() == survey,
        )
    ).scalar()
    return None if found is None else int(found)


def _recent_case(tx: Transaction, party_id: int, subject: str, days: int) -> Case | None:
    since = utcnow() - timedelta(days=days)
    row = tx.conn.execute(
        select(case)
        .where(
            case.c.party_id == party_id,
            case.c.channel == "survey",
            case.c.subject == subject,
            case.c.merged_into_id.is_(None),
            case.c.created_at >= since,
        )
        .order_by(case.c.id.desc())
        .limit(1)
    ).first()
    return None if row is None else service.case_of(row)


def feedback_received(
    tx: Transaction,
    party_id: int,
    survey: str,
    score: int | None,
    scale: tuple[int, int],
    text: str | None,
    reference: str | None,
) -> RecordRef | None:
    """The case the answer went to, or None when it needs no one from service."""
    settings: FeedbackSettings = tx.app.settings_of["service"].cases.feedback
    survey_name = fields.required_text("survey", survey, limit=200)
    _check(score, scale, text)
    scale = (scale[0], scale[1])
    detractor, complaint = is_detractor(score, scale, settings), is_complaint(text, settings)
    if not (detractor or complaint):
        return None
    get_party(tx.conn, party_id)
    # The customer speaks here, not the user whose transaction stores the answer.
    as_customer = evolve(tx, actor=SYSTEM)
    # The same answer delivered twice at once, or two answers of one customer to one survey,
    # take turns: the second finds the first's case.
    tx.hold(
        f"service.feedback.{survey_name}.party.{party_id}",
        *([f"service.feedback.{survey_name}.reference.{reference}"] if reference else []),
    )
    before = _answered_before(as_customer, survey_name, reference)
    if before is not None:
        return RecordRef(service.REF_KIND, str(before))
    subject = SUBJECT.format(survey=survey_name)[: service.SUBJECT_LIMIT]
    answer = {
        "survey": survey_name,
        "reference": reference,
        "score": score,
        "scale": list(scale),
        "detractor": detractor,
        "complaint": complaint,
    }
    recent = _recent_case(as_customer, party_id, subject, settings.recent_days)
    if recent is None:
        recent = service.open_case(
            as_customer,
            {
                "party_id": party_id,
                "subject": subject,
                "description": _describe(score, scale, text),
                "kind": "complaint",
                "priority": "high" if detractor and complaint else "normal",
                "channel": "survey",
            },
        )
        service.record_event(as_customer, recent, "feedback", public=False, data=answer)
    else:
        service.record_event(
            as_customer,
            recent,
            "feedback",
            public=False,
            body=_describe(score, scale, text),
            data=answer,
        )
        if recent.status in ("resolved", "closed"):
            service.move_to(as_customer, recent, "reopened")
    return RecordRef(service.REF_KIND, str(recent.id))


def _describe(score: int | None, scale: tuple[int, int], text: str | None) -> str:
    parts = [] if score is None else [f"Score {score} on a scale of {scale[0]} to {scale[1]}."]
    if text:
        parts.append(text.strip())
    return "\n\n".join(parts)[: service.BODY_LIMIT]
