"""The questions a survey's results are about: every published version's, the newest version's
wording first, so that a question dropped from a later version keeps its answers' results."""

from __future__ import annotations

from attrs import frozen
from sqlalchemy import Connection, select

from crmkit import ValidationError
from crmkit_surveys.definitions.model import SCORED, Question, Survey
from crmkit_surveys.definitions.service import get_survey, get_version
from crmkit_surveys.definitions.tables import survey_version


@frozen
class Option:
    key: str
    label: str


@frozen
class QuestionInfo:
    """A question as results show it: its text in the survey's default language."""

    key: str
    kind: str
    text: str
    scale: tuple[int, int] | None
    options: tuple[Option, ...] = ()
    other: bool = False

    @property
    def scored(self) -> bool:
        return self.kind in SCORED


def _text(texts: dict[str, str], language: str) -> str:
    return texts.get(language) or next(iter(texts.values()), "")


def _info(question: Question, language: str) -> QuestionInfo:
    return QuestionInfo(
        question.key,
        question.kind,
        _text(question.text, language),
        question.scale if question.kind in SCORED else None,
        tuple(Option(o.key, _text(o.text, language)) for o in question.options),
        question.other,
    )


def survey_questions(
    conn: Connection, survey_id: int, version_id: int | None = None
) -> tuple[Survey, list[QuestionInfo]]:
    """The survey (NotFound when missing) and its questions, of one published version when
    given (ValidationError naming ``version`` for another)."""
    found = get_survey(conn, survey_id)
    query = select(survey_version.c.id).where(
        survey_version.c.survey_id == survey_id, survey_version.c.status == "published"
    )
    if version_id is not None:
        query = query.where(survey_version.c.id == version_id)
    ids = conn.execute(query.order_by(survey_version.c.number.desc())).scalars().all()
    if version_id is not None and not ids:
        raise ValidationError(
            "version", f"survey {survey_id} has no published version {version_id}"
        )
    questions: dict[str, QuestionInfo] = {}
    for vid in ids:
        for question in get_version(conn, vid).definition.questions():
            questions.setdefault(question.key, _info(question, found.default_language))
    return found, list(questions.values())
