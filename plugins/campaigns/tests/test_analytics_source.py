"""The campaigns source of the analytics plugin: members reached, responses, conversions,
attributed revenue and costs per campaign (ROI from them), plans' targets; kept from
events and the catch-up, equal to a rebuild."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from crmkit_analytics.rollups import feed
from crmkit_analytics.rollups.reading import metrics, totals
from crmkit_analytics.rollups.tables import rollup
from crmkit_campaigns.campaigns.tables import member
from crmkit_campaigns.plans.service import create_plan
from crmkit_campaigns.results.costs import add_cost, delete_cost
from crmkit_campaigns.results.responses import record_response
from crmkit_sfa import opportunity_table
from sqlalchemy import insert, select, update

from crmkit import Crm, utcnow

NOW = utcnow()
FAR = (date(2000, 1, 1), date(2100, 1, 1))


@pytest.fixture
def crm(make_campaigns: Any) -> Crm:
    """channels, sfa and campaigns, with analytics beside them."""
    return make_campaigns(sfa=True, plugins=("analytics",))


def by(crm: Crm, metric: str, *groups: str) -> list[tuple[Any, ...]]:
    with crm.read() as conn:
        rows = totals(conn, metric, *FAR, group_by=groups)
    return [(*(getattr(r, g) for g in groups), r.count, round(float(r.amount), 2)) for r in rows]


def cells(crm: Crm) -> dict[tuple[Any, ...], tuple[int, float]]:
    with crm.read() as conn:
        rows = conn.execute(select(rollup).where(rollup.c.metric.startswith("campaigns.")))
        return {
            (r.metric, r.day, r.dimension, r.owner_id): (int(r.count), round(float(r.amount), 2))
            for r in rows
            if r.count or abs(r.amount) > 1e-9
        }


def sent(crm: Crm, member_ids: list[int], at: datetime) -> None:
    with crm.transaction() as tx:
        tx.conn.execute(
            update(member)
            .where(member.c.id.in_(member_ids))
            .values(status="sent", queued_at=at, sent_at=at)
        )


def won(crm: Crm, party_id: int, amount: str, at: datetime) -> None:
    with crm.transaction() as tx:
        tx.conn.execute(
            insert(opportunity_table).values(
                party_id=party_id,
                pipeline="default",
                stage="won",
                status="won",
                title="Deal",
                amount=Decimal(amount),
                currency="EUR",
                probability=100,
                products=[],
                contacts=[],
                milestones=[],
                stage_entered_at=at,
                closed_at=at,
                custom={},
                version=1,
                created_at=at,
                updated_at=at,
            )
        )


def test_results_of_a_campaign_fill_the_rollups(
    crm: Crm, new_party: Any, results_kit: Any, staff: Any
) -> None:
    ada = new_party(emails=["ada@example.org"])
    bob = new_party(first_name="Bob", emails=["bob@example.org"])
    spring = results_kit.campaign(name="Spring", owner_id=staff.marketer.user_id, starts_at=NOW)
    members = results_kit.members(spring, [ada, bob])
    sent(crm, members, NOW - timedelta(days=2))
    feed.catch_up(crm)  # sends are recorded by jobs, without an event
    label = f"#{spring} Spring"
    assert by(crm, "campaigns.sent", "day", "dimension", "owner_id") == [
        ((NOW - timedelta(days=2)).date(), label, staff.marketer.user_id, 2, 0.0)
    ]

    with crm.transaction() as tx:
        record_response(tx, spring, via="api", member_id=members[0], evidence="test")
        cost = add_cost(tx, spring, {"amount": "150.00", "spent_on": str(NOW.date())})
        add_cost(tx, spring, {"amount": "50.00", "spent_on": str(NOW.date())})
    assert by(crm, "campaigns.responses", "dimension") == [(label, 1, 0.0)]
    assert by(crm, "campaigns.cost", "day") == [(NOW.date(), 1, 200.0)]
    with crm.transaction() as tx:
        delete_cost(tx, spring, cost.id)
    assert by(crm, "campaigns.cost") == [(1, 50.0)]

    # Bob buys after the touch: the results job marks him converted; the catch-up sees it.
    won(crm, bob, "800.00", NOW - timedelta(days=1))
    with crm.transaction() as tx:
        tx.conn.execute(update(member).where(member.c.id == members[1]).values(converted_at=NOW))
    feed.catch_up(crm)
    assert by(crm, "campaigns.conversions") == [(1, 0.0)]
    assert by(crm, "campaigns.revenue", "day") == [(NOW.date(), 0, 800.0)]

    before = cells(crm)
    feed.rebuild(crm, "campaigns")
    assert cells(crm) == before


def test_plans_targets_name_the_metric_they_are_set_against(crm: Crm, staff: Any) -> None:
    year = NOW.year
    with crm.transaction(staff.marketer) as tx:
        create_plan(
            tx,
            {
                "name": "Plan",
                "start": f"{year}-01",
                "end": f"{year}-12",
                "targets": [
                    {"period": f"{year}-Q1", "metric": "leads", "value": 120},
                    {
                        "period": f"{year}-05",
                        "metric": "revenue",
                        "value": "9000",
                        "currency": "EUR",
                    },
                    {"period": f"{year}-06", "metric": "reach", "value": 5000, "region": "DE"},
                ],
            },
        )
    source, _ = metrics(crm)["campaigns.sent"]
    assert source.targets is not None
    with crm.read() as conn:
        found = list(source.targets(conn, date(year, 1, 1), date(year, 5, 31)))
    assert [(t.metric, t.starts_on, t.ends_on, t.amount, t.measure) for t in found] == [
        ("leads.created", date(year, 1, 1), date(year, 3, 31), 120.0, "count"),
        ("sfa.orders", date(year, 5, 1), date(year, 5, 31), 9000.0, "amount"),
    ]


def test_drill_opens_the_campaign_results(crm: Crm) -> None:
    _, metric = metrics(crm)["campaigns.responses"]
    assert metric.drill is not None
    assert metric.drill(dimension="#12 Spring") == "/p/campaigns/campaigns/12/results/page"
