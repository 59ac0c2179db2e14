"""What the answering part holds, as the other parts read it: responses and their answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import frozen

REF_KIND = "surveys.response"
"""How other records name a response: ``RecordRef("surveys.response", "12")``."""


@frozen
class Given:
    """What a respondent gave to one question: a score (nps, csat, rating), option keys
    (single, multiple) or a text (text, and the "other" of a choice)."""

    score: int | None = None
    choices: tuple[str, ...] | None = None
    text: str | None = None

    def value(self) -> Any:
        """The answer as branching reads it (``definitions.language.is_asked``)."""
        if self.score is not None:
            return self.score
        if self.choices is not None:
            return list(self.choices)
        return self.text


@frozen
class Answer:
    """One stored answer (a ``surveys_answer`` row)."""

    question: str
    kind: str
    score: int | None
    choices: tuple[str, ...] | None
    text: str | None
    answered_at: datetime

    @property
    def given(self) -> Given:
        return Given(self.score, self.choices, self.text)

    @classmethod
    def from_row(cls, row: Any) -> Answer:
        return cls(
            question=row.question,
            kind=row.kind,
            score=row.score,
            choices=None if row.choices is None else tuple(row.choices),
            text=row.text,
            answered_at=row.answered_at,
        )


@frozen
class Response:
    """One respondent's answers to one survey version (a ``surveys_response`` row).

    ``party_id`` is None for an anonymous response (an open link, or an erased party);
    ``case_ref`` names what the service plugin made of it (``service.case:12``).
    """

    id: int
    survey_id: int
    version_id: int
    invitation_id: int | None
    party_id: int | None
    language: str
    status: str
    started_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    case_ref: str | None

    @classmethod
    def from_row(cls, row: Any) -> Response:
        return cls(
            id=row.id,
            survey_id=row.survey_id,
            version_id=row.version_id,
            invitation_id=row.invitation_id,
            party_id=row.party_id,
            language=row.language,
            status=row.status,
            started_at=row.started_at,
            updated_at=row.updated_at,
            completed_at=row.completed_at,
            case_ref=row.case_ref,
        )


@frozen
class Choice:
    """An option chosen, with its text in the response's language."""

    key: str
    label: str


@frozen
class ShownAnswer:
    """An answer as staff read it: the question's text in the response's language beside it."""

    question: str
    kind: str
    label: str
    score: int | None
    scale: tuple[int, int] | None
    choices: tuple[Choice, ...]
    text: str | None
    answered_at: datetime


@frozen
class SurveyRef:
    id: int
    name: str


@frozen
class ResponseDetail:
    """A response with its survey and its answers, in the order the survey asks them."""

    response: Response
    survey: SurveyRef
    answers: tuple[ShownAnswer, ...]
