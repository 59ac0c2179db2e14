"""The surveys source of the analytics plugin: responses, NPS promoters, passives and
detractors per survey, detractors as churn signals; kept from the completion event and the
catch-up, equal to a rebuild."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from crmkit_analytics.rollups import feed
from crmkit_analytics.rollups.reading import metrics, totals
from crmkit_analytics.rollups.tables import rollup
from crmkit_surveys.answering.event_types import COMPLETED
from sqlalchemy import select

from crmkit import Crm, utcnow

FAR = (date(2000, 1, 1), date(2100, 1, 1))


@pytest.fixture
def crm(make_surveys: Any) -> Crm:
    """channels and surveys, with analytics beside them."""
    return make_surveys(plugins=("analytics",))


def by(crm: Crm, metric: str, *groups: str, **filters: Any) -> list[tuple[Any, ...]]:
    with crm.read() as conn:
        rows = totals(conn, metric, *FAR, group_by=groups, **filters)
    return [(*(getattr(r, g) for g in groups), r.count, float(r.amount)) for r in rows]


def cells(crm: Crm) -> dict[tuple[Any, ...], tuple[int, float]]:
    with crm.read() as conn:
        rows = conn.execute(select(rollup).where(rollup.c.metric.startswith("surveys.")))
        return {
            (r.metric, r.day, r.dimension, r.territory, r.owner_id): (int(r.count), r.amount)
            for r in rows
            if r.count
        }


def completed(crm: Crm, response_id: int) -> None:
    """The event the answering part emits when a response is completed."""
    with crm.transaction() as tx:
        tx.emit(COMPLETED, "surveys.response", response_id, {"response_id": response_id})


def test_nps_answers_fill_the_bands_per_survey(
    crm: Crm, results_kit: Any, new_party: Any, staff: Any
) -> None:
    survey = results_kit.survey("After sales")
    ada = new_party(owner_id=staff.manager.user_id)
    answers = [
        results_kit.respond(survey, {"nps": 10}, party_id=ada),
        results_kit.respond(survey, {"nps": 9}),
        results_kit.respond(survey, {"nps": 8}),
        results_kit.respond(survey, {"nps": 3, "why": "Slow"}, party_id=ada),
        results_kit.respond(survey, {"nps": 5}, status="started"),  # not completed: no figure
    ]
    for response_id in answers[:2]:
        completed(crm, response_id)
        completed(crm, response_id)  # twice: counted once
    label = f"#{survey[0]} After sales"
    assert by(crm, "surveys.promoters", "dimension") == [(label, 2, 19.0)]
    feed.catch_up(crm)  # the rest were written without their event
    assert by(crm, "surveys.passives") == [(1, 8.0)]
    assert by(crm, "surveys.detractors", territories=["DE-10"]) == [(1, 3.0)]
    assert by(crm, "surveys.detractors", "owner_id", "team") == [
        (staff.manager.user_id, "north", 1, 3.0)
    ]
    assert by(crm, "surveys.completed") == [(4, 0.0)]

    before = cells(crm)
    feed.rebuild(crm, "surveys")
    assert cells(crm) == before

    source, _ = metrics(crm)["surveys.detractors"]
    assert source.signals is not None
    with crm.read() as conn:
        found = list(source.signals(conn, utcnow() - timedelta(days=1)))
        later = list(source.signals(conn, utcnow() + timedelta(days=1)))
    assert [(s.party_id, s.kind, s.weight) for s in found] == [(ada, "detractor", 0.571)]
    assert later == []


def test_drill_opens_the_survey_results(crm: Crm) -> None:
    _, metric = metrics(crm)["surveys.promoters"]
    assert metric.drill is not None
    assert metric.drill(dimension="#4 After sales") == "/p/surveys/page/surveys/4/results"
