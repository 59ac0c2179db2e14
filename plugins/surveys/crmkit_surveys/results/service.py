"""What the routes and the page read: a survey's results, trends and cross-tabs, each for a
reader holding ``surveys:results.read``."""

from __future__ import annotations

from collections.abc import Sequence

from attrs import frozen

from crmkit import Transaction, ValidationError, read_choice
from crmkit_surveys.results import aggregates, crosstab
from crmkit_surveys.results.aggregates import Filters, QuestionResult, Trend
from crmkit_surveys.results.periods import PERIODS
from crmkit_surveys.results.questions import QuestionInfo, survey_questions


@frozen
class SurveyResults:
    """Every question's figures; ``responses``: how many responses have an answer counted."""

    survey_id: int
    name: str
    responses: int
    questions: list[QuestionResult]


@frozen
class Trends:
    survey_id: int
    period: str
    trends: list[Trend]


def _question(questions: Sequence[QuestionInfo], key: str) -> QuestionInfo:
    for question in questions:
        if question.key == key:
            return question
    raise ValidationError("question", f"the survey has no question {key!r}")


def results_of(tx: Transaction, survey_id: int, filters: Filters) -> SurveyResults:
    """The survey's figures per question; NotFound for a survey that does not exist."""
    survey, questions = survey_questions(tx.conn, survey_id, filters.version_id)
    return SurveyResults(
        survey.id,
        survey.name,
        aggregates.responses_counted(tx.conn, survey_id, filters),
        aggregates.question_results(tx.conn, survey_id, questions, filters),
    )


def trends_of(
    tx: Transaction, survey_id: int, question: str | None, period: str, filters: Filters
) -> Trends:
    """Figures per period of ``question``, or of every scored question when None."""
    period = read_choice("period", period, PERIODS)
    _, questions = survey_questions(tx.conn, survey_id, filters.version_id)
    chosen = [_question(questions, question)] if question else [q for q in questions if q.scored]
    return Trends(survey_id, period, aggregates.trends(tx.conn, survey_id, chosen, period, filters))


def crosstab_of(
    tx: Transaction,
    survey_id: int,
    question: str,
    by: str,
    filters: Filters,
    segment_ids: Sequence[int] = (),
) -> crosstab.Crosstab:
    """``question``'s figures per value of ``by`` beside the whole."""
    by = read_choice("by", by, crosstab.DIMENSIONS)
    _, questions = survey_questions(tx.conn, survey_id, filters.version_id)
    chosen = _question(questions, question)
    return crosstab.crosstab(tx, survey_id, chosen, by, filters, segment_ids)
