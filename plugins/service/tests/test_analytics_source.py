"""The service source of the analytics plugin: cases opened, open and resolved by category,
SLA targets met and missed, open complaints as churn signals; kept from events, equal to a
rebuild."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from crmkit_analytics.rollups import feed
from crmkit_analytics.rollups.reading import metrics, totals
from crmkit_analytics.rollups.tables import rollup
from crmkit_service.cases import service
from crmkit_service.sla import policies
from sqlalchemy import select

from crmkit import Crm, utcnow

FAR = (date(2000, 1, 1), date(2100, 1, 1))


@pytest.fixture
def crm(make_service: Callable[..., Crm]) -> Crm:
    """channels and service, with analytics beside them."""
    return make_service(plugins=("analytics",))


def by(crm: Crm, metric: str, *groups: str, **filters: Any) -> list[tuple[Any, ...]]:
    with crm.read() as conn:
        rows = totals(conn, metric, *FAR, group_by=groups, **filters)
    return [(*(getattr(r, g) for g in groups), r.count) for r in rows]


def cells(crm: Crm) -> dict[tuple[Any, ...], int]:
    with crm.read() as conn:
        rows = conn.execute(select(rollup).where(rollup.c.metric.startswith("service.")))
        return {
            (r.metric, r.day, r.dimension, r.territory, r.team, r.owner_id): int(r.count)
            for r in rows
            if r.count
        }


def test_cases_and_their_sla_fill_the_rollups(
    crm: Crm, staff: Any, new_party: Any, sla_now: Any
) -> None:
    with crm.transaction() as tx:
        policies.create_policy(
            tx, {"name": "Standard", "first_response_minutes": 60, "resolution_minutes": 480}
        )
    customer = new_party()
    with crm.transaction(staff.agent) as tx:
        jam = service.open_case(
            tx,
            {
                "party_id": customer,
                "subject": "Jam",
                "kind": "complaint",
                "owner_id": staff.agent.user_id,
            },
        )
        question = service.open_case(tx, {"party_id": customer, "subject": "Toner?"})
    today = sla_now.moment.date()
    assert by(crm, "service.opened", "day") == [(today, 2)]
    assert by(crm, "service.open") == [(2,)]
    assert (staff.agent.user_id, "support", 1) in by(crm, "service.open", "owner_id", "team")

    sla_now.advance(minutes=30)
    with crm.transaction(staff.agent) as tx:
        service.reply(tx, jam.id, "We are on it.")
    sla_now.advance(hours=30)
    with crm.transaction(staff.agent) as tx:
        service.change_status(tx, jam.id, "resolved", root_cause="paper", resolution="New tray")
    assert by(crm, "service.sla_met", "dimension") == [("first_response", 1)]
    assert by(crm, "service.sla_breached", "dimension") == [("resolution", 1)]
    assert by(crm, "service.closed", "day") == [(sla_now.moment.date(), 1)]
    assert by(crm, "service.open") == [(1,)]
    # The party is in Berlin: a DE-10 filter keeps its cases, an FR one does not.
    assert by(crm, "service.opened", territories=["DE-10"]) == [(2,)]
    assert by(crm, "service.opened", territories=["FR-75"]) == [(0,)]

    before = cells(crm)
    feed.rebuild(crm, "service")
    assert cells(crm) == before
    assert question.id != jam.id


def test_open_complaints_are_churn_signals(crm: Crm, staff: Any, new_party: Any) -> None:
    customer = new_party()
    with crm.transaction(staff.agent) as tx:
        service.open_case(tx, {"party_id": customer, "subject": "Broken", "kind": "complaint"})
        service.open_case(tx, {"party_id": customer, "subject": "Question", "kind": "question"})
    source, _ = metrics(crm)["service.opened"]
    assert source.signals is not None
    with crm.read() as conn:
        # Asked from tomorrow on: the open complaint counts whenever it was opened.
        found = list(source.signals(conn, utcnow() + timedelta(days=1)))
    assert [(s.party_id, s.kind, s.weight, s.detail) for s in found] == [
        (customer, "open_complaint", 1.0, "Broken")
    ]


def test_drill_opens_the_case_list_filtered(crm: Crm) -> None:
    _, metric = metrics(crm)["service.open"]
    assert metric.drill is not None
    assert metric.drill(team="support") == "/p/service/cases/page?open=true&team=support"
