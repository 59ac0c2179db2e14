"""What surveys publishes to the analytics plugin (when it is installed): ``surveys``.

Each completed response is a record ``response:<id>`` whose facts, by its survey
(dimension ``#<id> <name>``) and its party's territory, owner and owner's team (none when
anonymous), on the day it was completed, are ``surveys.completed`` and, for its first NPS
answer, one of ``surveys.promoters`` (9-10), ``surveys.passives`` (7-8) or
``surveys.detractors`` (0-6), each with the score as its amount. NPS over any cells is
(promoters - detractors) / (promoters + passives + detractors) x 100.

The completion event touches the response; ``changed`` finds responses completed or
changed without one. Detractors' answers are :class:`~crmkit_analytics.sources.Signal` rows
for churn risk, the lower the score the stronger.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select

from crmkit import Event
from crmkit_surveys.answering.event_types import COMPLETED
from crmkit_surveys.answering.tables import answer, response
from crmkit_surveys.definitions.tables import survey

if TYPE_CHECKING:
    from crmkit_analytics.sources import Fact, FactSource, Measure, Record, Signal

NAME = "surveys"
BATCH = 1000


def _drill(*, dimension: str = "", **_: Any) -> str:
    head = dimension.split(" ", 1)[0]
    if head.startswith("#") and head[1:].isdigit():
        return f"/p/surveys/page/surveys/{head[1:]}/results"
    return "/p/surveys/page/surveys"


def touched(conn: Connection, event: Event) -> Iterator[str]:
    found = (event.payload or {}).get("response_id") or event.entity_id
    if found is not None:
        yield f"response:{found}"


def changed(conn: Connection, since: datetime) -> Iterator[str]:
    for (response_id,) in conn.execute(select(response.c.id).where(response.c.updated_at >= since)):
        yield f"response:{response_id}"


def _band(score: int) -> str:
    return "promoters" if score >= 9 else "passives" if score >= 7 else "detractors"


def _first_nps() -> Any:
    """The first NPS answer of each response: its lowest answer id."""
    return (
        select(answer.c.response_id, func.min(answer.c.id).label("answer_id"))
        .where(answer.c.kind == "nps", answer.c.score.is_not(None))
        .group_by(answer.c.response_id)
        .subquery("first_nps")
    )


def _rows(conn: Connection, ids: list[int] | None) -> list[Any]:
    first = _first_nps()
    query = (
        select(
            response.c.id,
            response.c.party_id,
            response.c.status,
            response.c.completed_at,
            survey.c.id.label("survey_id"),
            survey.c.name,
            answer.c.score,
        )
        .select_from(
            response.join(survey, survey.c.id == response.c.survey_id)
            .outerjoin(first, first.c.response_id == response.c.id)
            .outerjoin(answer, answer.c.id == first.c.answer_id)
        )
        .order_by(response.c.id)
    )
    if ids is not None:
        query = query.where(response.c.id.in_(ids))
    return list(conn.execute(query))


def _day(moment: datetime | date) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


def facts(conn: Connection, keys: Sequence[str] | None) -> Iterator[Fact]:
    from crmkit_analytics.sources import Fact, Measure, party_cells

    if keys is None:
        chunks: list[list[int] | None] = [None]
    else:
        ids = sorted({int(k[9:]) for k in keys if k.startswith("response:") and k[9:].isdigit()})
        chunks = [ids[i : i + BATCH] for i in range(0, len(ids), BATCH)]
    for chunk in chunks:
        rows = _rows(conn, chunk)
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            cells = party_cells(conn, [r.party_id for r in batch if r.party_id is not None])
            for row in batch:
                measures: list[Measure] = []
                if row.status == "completed" and row.completed_at is not None:
                    cell = cells.get(row.party_id) if row.party_id is not None else None
                    where: dict[str, Any] = {
                        "dimension": f"#{row.survey_id} {row.name}"[:120],
                        "territory": cell.territory if cell else "",
                        "team": cell.team if cell else "",
                        "owner_id": cell.owner_id if cell else None,
                    }
                    day = _day(row.completed_at)
                    measures.append(Measure("surveys.completed", day, 1, **where))
                    if row.score is not None:
                        metric = f"surveys.{_band(int(row.score))}"
                        measures.append(Measure(metric, day, 1, float(row.score), **where))
                yield Fact(f"response:{row.id}", tuple(measures), party_id=row.party_id)


def signals(conn: Connection, since: datetime) -> Iterator[Signal]:
    """Detractors' answers (NPS 0-6) completed since ``since``."""
    from crmkit_analytics.sources import Signal

    first = _first_nps()
    rows = conn.execute(
        select(response.c.party_id, response.c.completed_at, survey.c.name, answer.c.score)
        .select_from(
            response.join(survey, survey.c.id == response.c.survey_id)
            .join(first, first.c.response_id == response.c.id)
            .join(answer, answer.c.id == first.c.answer_id)
        )
        .where(
            response.c.party_id.is_not(None),
            response.c.status == "completed",
            response.c.completed_at >= since,
            answer.c.score <= 6,
        )
    )
    for row in rows:
        yield Signal(
            party_id=row.party_id,
            kind="detractor",
            occurred_at=row.completed_at,
            weight=round(1 - int(row.score) / 7, 3),
            detail=f"NPS {row.score} in {row.name}"[:200],
        )


def describe(conn: Connection, keys: Sequence[str]) -> Iterator[Record]:
    """How the dashboard's drill page shows a response: its survey, number and page."""
    from crmkit_analytics.sources import Record, ids_of_keys

    ids = ids_of_keys(keys, "response:")
    if ids:
        rows = conn.execute(
            select(response.c.id, survey.c.name)
            .select_from(response.join(survey, survey.c.id == response.c.survey_id))
            .where(response.c.id.in_(ids))
        )
        for row in rows:
            yield Record(
                f"response:{row.id}",
                f"Response {row.id}",
                f"/p/surveys/page/responses/{row.id}",
                row.name,
            )


def source() -> FactSource:
    from crmkit_analytics.sources import FactSource, Metric

    return FactSource(
        name=NAME,
        metrics=(
            Metric("surveys.completed", "Survey responses", "count", _drill),
            Metric("surveys.promoters", "NPS promoters", "count", _drill),
            Metric("surveys.passives", "NPS passives", "count", _drill),
            Metric("surveys.detractors", "NPS detractors", "count", _drill),
        ),
        event_types=frozenset({COMPLETED}),
        touched=touched,
        facts=facts,
        changed=changed,
        describe=describe,
        signals=signals,
    )
