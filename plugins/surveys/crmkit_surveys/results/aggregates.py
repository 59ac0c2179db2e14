"""Results as the database counts them: one GROUP BY over the answers of the survey's responses
(the index on ``surveys_answer (survey_id, question, answered_at)`` serves each), then the
figures of :mod:`.figures` from the counts.

Aggregated figures count every response, as seat counts do: they name nobody. An answer
counts in the period (UTC) it was given; filters narrow by version, language and the date
an answer was given; partial responses count only when asked for.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from attrs import field, frozen
from sqlalchemy import ColumnElement, Connection, FromClause, func, select

from crmkit_surveys.answering.tables import answer, response
from crmkit_surveys.results import figures
from crmkit_surveys.results.periods import bucket, periods_between
from crmkit_surveys.results.questions import QuestionInfo


@frozen
class Filters:
    """Which answers count: of one version or language, given from ``since`` until before
    ``until``, of completed responses (and partial ones with ``partial``)."""

    version_id: int | None = None
    language: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    partial: bool = False


@frozen
class ScoreCount:
    score: int
    count: int


@frozen
class OptionCount:
    key: str
    label: str
    count: int


@frozen
class Figures:
    """What ``answered`` answers to one question add up to; the figures its kind has."""

    answered: int
    scores: list[ScoreCount] = field(factory=list)
    options: list[OptionCount] = field(factory=list)
    other: int = 0
    texts: int = 0
    nps: figures.Nps | None = None
    csat: figures.Share | None = None
    mean: figures.Mean | None = None


@frozen
class QuestionResult:
    key: str
    kind: str
    text: str
    figures: Figures


MOMENT = timedelta(microseconds=1)
CHOICES = ("single", "multiple")


class Tally:
    """Counts of one question's answers, as the GROUP BY yields them."""

    def __init__(self) -> None:
        self.answered = 0
        self.scores: Counter[int] = Counter()
        self.options: Counter[str] = Counter()
        self.other = 0
        self.texts = 0

    def add(self, kind: str, score: Any, choices: Any, has_text: Any, count: int) -> None:
        self.answered += count
        if score is not None:
            self.scores[int(score)] += count
        for key in choices or ():
            self.options[str(key)] += count
        if has_text:
            # The text of a choice is its "other".
            if kind in CHOICES:
                self.other += count
            else:
                self.texts += count

    def figures(self, question: QuestionInfo) -> Figures:
        scores, options = [], []
        if question.scale is not None:
            low, high = question.scale
            scores = [ScoreCount(s, self.scores.get(s, 0)) for s in range(low, high + 1)]
            scores += [
                ScoreCount(s, n) for s, n in sorted(self.scores.items()) if not low <= s <= high
            ]
        if question.kind in CHOICES:
            known = {o.key for o in question.options}
            options = [
                OptionCount(o.key, o.label, self.options.get(o.key, 0)) for o in question.options
            ]
            options += [
                OptionCount(k, k, n) for k, n in sorted(self.options.items()) if k not in known
            ]
        scale = question.scale or (0, 0)
        return Figures(
            self.answered,
            scores,
            options,
            self.other,
            self.texts,
            figures.nps_of(self.scores) if question.kind == "nps" else None,
            figures.csat_of(self.scores) if question.kind == "csat" else None,
            figures.mean_of(self.scores, scale) if question.scale is not None else None,
        )


def conditions(survey_id: int, filters: Filters) -> list[ColumnElement[bool]]:
    """What an answer (joined to its response) must meet to count."""
    statuses = ("completed", "partial") if filters.partial else ("completed",)
    where = [answer.c.survey_id == survey_id, response.c.status.in_(statuses)]
    if filters.version_id is not None:
        where.append(response.c.version_id == filters.version_id)
    if filters.language is not None:
        where.append(response.c.language == filters.language)
    if filters.since is not None:
        where.append(answer.c.answered_at >= filters.since)
    if filters.until is not None:
        where.append(answer.c.answered_at < filters.until)
    return where


def answers_of_responses() -> Any:
    """Answers joined to their responses: what every count reads."""
    return answer.join(response, response.c.id == answer.c.response_id)


def tallies(
    conn: Connection,
    survey_id: int,
    filters: Filters,
    *,
    questions: Sequence[str] | None = None,
    group: ColumnElement[Any] | None = None,
    source: FromClause | None = None,
    where: Iterable[ColumnElement[bool]] = (),
    scores_only: bool = False,
) -> dict[tuple[Any, str], Tally]:
    """Per (group key, question) the counts of the answers meeting the filters; with ``group``
    (an expression over ``source``, the answers and responses joined to more) one per value.
    ``scores_only``: the questions are all scored, so options and texts need no reading."""
    has_text = answer.c.text.is_not(None).label("has_text")
    if scores_only:
        columns: list[Any] = [answer.c.question, answer.c.score]
    else:
        columns = [answer.c.question, answer.c.kind, answer.c.score, answer.c.choices, has_text]
    query = select(*([group] if group is not None else []), *columns, func.count().label("n"))
    query = query.select_from(source if source is not None else answers_of_responses())
    query = query.where(*conditions(survey_id, filters), *where)
    if questions is not None:
        query = query.where(answer.c.question.in_(list(questions)))
    query = query.group_by(*([group] if group is not None else []), *columns)
    found: dict[tuple[Any, str], Tally] = {}
    for row in conn.execute(query):
        group_key = row[0] if group is not None else None
        tally = found.setdefault((group_key, row.question), Tally())
        if scores_only:
            tally.add("", row.score, None, False, row.n)
        else:
            tally.add(row.kind, row.score, row.choices, row.has_text, row.n)
    return found


def question_results(
    conn: Connection, survey_id: int, questions: Sequence[QuestionInfo], filters: Filters
) -> list[QuestionResult]:
    """Every question's figures, in the survey's order."""
    counted = tallies(conn, survey_id, filters)
    return [
        QuestionResult(q.key, q.kind, q.text, counted.get((None, q.key), Tally()).figures(q))
        for q in questions
    ]


def responses_counted(conn: Connection, survey_id: int, filters: Filters) -> int:
    """How many responses have an answer that counts."""
    query = (
        select(func.count(func.distinct(answer.c.response_id)))
        .select_from(answers_of_responses())
        .where(*conditions(survey_id, filters))
    )
    return int(conn.execute(query).scalar_one())


@frozen
class TrendPoint:
    """One period: its label (``2026-03``, ``2026-Q1``, ``2026-W05``), first day and figures."""

    period: str
    starts_on: date
    figures: Figures


@frozen
class Trend:
    question: str
    kind: str
    text: str
    scale: tuple[int, int] | None
    period: str
    points: list[TrendPoint]


def trends(
    conn: Connection,
    survey_id: int,
    questions: Sequence[QuestionInfo],
    period: str,
    filters: Filters,
) -> list[Trend]:
    """Per question, its figures per period, oldest first, in one GROUP BY: every period from
    the filters' first date (else the first period answered) to their last (else the last
    period answered), those without answers too."""
    when = bucket(conn.dialect.name, answer.c.answered_at, period).label("bucket")
    counted = tallies(
        conn,
        survey_id,
        filters,
        questions=[q.key for q in questions],
        group=when,
        scores_only=all(q.scored for q in questions),
    )
    by_start = {(_as_date(key), q): tally for (key, q), tally in counted.items()}
    starts = [start for start, _ in by_start]
    first = filters.since.date() if filters.since else min(starts, default=None)
    last = (filters.until - MOMENT).date() if filters.until else max(starts, default=None)
    span = [] if first is None or last is None else list(periods_between(first, last, period))
    return [
        Trend(
            q.key,
            q.kind,
            q.text,
            q.scale,
            period,
            [
                TrendPoint(name, start, by_start.get((start, q.key), Tally()).figures(q))
                for start, name in span
            ],
        )
        for q in questions
    ]


def _as_date(value: Any) -> date:
    # SQLite hands the bucket back as YYYY-MM-DD text, PostgreSQL as a timestamp.
    return value.date() if isinstance(value, datetime) else date.fromisoformat(str(value)[:10])
