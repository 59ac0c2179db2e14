"""Plans part: actuals counted by hand on a small data set, the pro-rata expectation, statuses
and the record rules (counts only over the parties the reader sees)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from crmkit_campaigns.campaigns.tables import member
from crmkit_campaigns.plans import service
from crmkit_campaigns.plans.progress import PlanProgress, plan_progress
from crmkit_campaigns.plans.settings import PlanSettings
from sqlalchemy import update

from crmkit import SYSTEM, Actor, Crm, convert_prospect, party_table

MUNICH = [{"street": "Marienplatz 1", "postcode": "80331", "city": "München", "country": "DE"}]
PARIS = [{"street": "Rue de Rivoli 1", "postcode": "75001", "city": "Paris", "country": "FR"}]


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


class World:
    """March 2026: five leads (one converted, one from the heating campaign), reach of a campaign."""

    def __init__(self, crm: Crm, new_party: Any, results_kit: Any, staff: Any) -> None:
        self.crm = crm
        self.heating = results_kit.campaign(name="Heat pumps", product_group="heating")
        self.other = results_kit.campaign(name="Newsletter")
        source = f"campaign:{self.heating}"
        self.berlin_heating = self.prospect(new_party, "2026-03-05", source=source)
        self.munich = self.prospect(
            new_party, "2026-03-20", addresses=MUNICH, owner_id=staff.outsider.user_id
        )
        self.april = self.prospect(new_party, "2026-04-02")
        self.converted = self.prospect(new_party, "2026-03-10", source=source)
        self.paris = self.prospect(new_party, "2026-03-11", addresses=PARIS)
        with crm.transaction() as tx:
            convert_prospect(tx, self.converted)
            tx.conn.execute(
                update(party_table)
                .where(party_table.c.id == self.converted)
                .values(converted_at=at("2026-03-15"))
            )
        # A customer created as one is no lead.
        customer = new_party("customer")
        self.set_created(customer, "2026-03-03")
        reached = results_kit.members(self.heating, [self.berlin_heating, self.munich, customer])
        late = results_kit.members(self.heating, [self.april])
        other = results_kit.members(self.other, [customer])
        with crm.transaction() as tx:
            tx.conn.execute(
                update(member)
                .where(member.c.id.in_(reached + other))
                .values(sent_at=at("2026-03-21"))
            )
            tx.conn.execute(
                update(member).where(member.c.id.in_(late)).values(sent_at=at("2026-04-01"))
            )

    def prospect(self, new_party: Any, created: str, **data: Any) -> int:
        party_id = int(new_party("prospect", **data))
        self.set_created(party_id, created)
        return party_id

    def set_created(self, party_id: int, created: str) -> None:
        with self.crm.transaction() as tx:
            tx.conn.execute(
                update(party_table)
                .where(party_table.c.id == party_id)
                .values(created_at=at(created))
            )


@pytest.fixture
def world(crm: Crm, new_party: Any, results_kit: Any, staff: Any) -> World:
    return World(crm, new_party, results_kit, staff)


def make_plan(crm: Crm, *targets: dict[str, Any]) -> service.Plan:
    with crm.transaction() as tx:
        return service.create_plan(
            tx, {"name": "2026", "start": "2026-01", "end": "2026-12", "targets": list(targets)}
        )


def progress(
    crm: Crm, found: service.Plan, now: str, actor: Actor = SYSTEM, **settings: Any
) -> PlanProgress:
    with crm.read() as conn:
        return plan_progress(crm.host, conn, actor, found, at(now), PlanSettings(**settings))


def actuals(result: PlanProgress) -> list[Decimal | None]:
    return [row.actual for row in result.targets]


def test_leads_count_prospects_created_in_the_period_by_region_and_product_group(
    crm: Crm, world: World
) -> None:
    found = make_plan(
        crm,
        {"period": "2026-03", "metric": "leads", "value": 10},
        {"period": "2026-03", "metric": "leads", "value": 10, "region": "DE-10"},
        {"period": "2026-03", "metric": "leads", "value": 10, "region": "de"},
        {"period": "2026-03", "metric": "leads", "value": 10, "region": "DE-8"},
        {"period": "2026-03", "metric": "leads", "value": 10, "product_group": "heating"},
        {"period": "2026-Q2", "metric": "leads", "value": 10},
    )
    # March: Berlin (heating), Munich, converted (heating), Paris; April's and the customer are not.
    assert actuals(progress(crm, found, "2026-07-01")) == [4, 2, 3, 1, 2, 1]


def test_conversions_count_prospects_become_customers_in_the_period(crm: Crm, world: World) -> None:
    found = make_plan(
        crm,
        {"period": "2026-03", "metric": "conversions", "value": 1},
        {"period": "2026-02", "metric": "conversions", "value": 1},
        {"period": "2026-03", "metric": "conversions", "value": 1, "region": "DE-8"},
        {"period": "2026-Q1", "metric": "conversions", "value": 1, "product_group": "heating"},
    )
    assert actuals(progress(crm, found, "2026-07-01")) == [1, 0, 0, 1]


def test_reach_counts_members_sent_in_the_period(crm: Crm, world: World) -> None:
    found = make_plan(
        crm,
        {"period": "2026-03", "metric": "reach", "value": 1},
        {"period": "2026-03", "metric": "reach", "value": 1, "product_group": "heating"},
        {"period": "2026-03", "metric": "reach", "value": 1, "region": "DE-8"},
        {"period": "2026-04", "metric": "reach", "value": 1, "product_group": "heating"},
    )
    assert actuals(progress(crm, found, "2026-07-01")) == [4, 3, 1, 1]


def test_revenue_without_sfa_is_not_available_rather_than_zero(crm: Crm, world: World) -> None:
    found = make_plan(
        crm, {"period": "2026-03", "metric": "revenue", "value": "5000.00", "currency": "EUR"}
    )
    (row,) = progress(crm, found, "2026-07-01").targets
    assert (row.actual, row.status) == (None, "not_available")
    assert row.note is not None and "sfa" in row.note


def test_running_period_is_compared_with_the_target_pro_rata(crm: Crm, world: World) -> None:
    found = make_plan(
        crm,
        {"period": "2026-03", "metric": "leads", "value": 16},
        {"period": "2026-03", "metric": "leads", "value": 8},
        {"period": "2026-03", "metric": "leads", "value": 5},
        {"period": "2026-03", "metric": "leads", "value": 4},
    )
    # 16 March noon: half of March is gone; by then Berlin, converted and Paris were created.
    result = progress(crm, found, "2026-03-16T12:00:00")
    rows = result.targets
    assert actuals(result) == [3, 3, 3, 3]
    assert [r.expected_to_date for r in rows] == [
        Decimal("8.00"),
        Decimal("4.00"),
        Decimal("2.50"),
        Decimal("2.00"),
    ]
    # 3 of 8 is behind; 3 of 4 is behind too beyond the 10 % tolerance; 3 of 2.5 is ahead.
    assert [r.status for r in rows] == ["behind", "behind", "ahead", "ahead"]
    assert rows[0].deviation == Decimal("-5.00")
    assert rows[0].deviation_percent == Decimal("-62.50")
    assert rows[3].share_of_target == Decimal("75.00")
    # With a tolerance of 25 %, 3 of 4 expected is on track.
    assert progress(crm, found, "2026-03-16T12:00:00", tolerance_percent=25).targets[1].status == (
        "on_track"
    )


def test_period_over_is_met_or_missed_and_a_future_one_upcoming(crm: Crm, world: World) -> None:
    found = make_plan(
        crm,
        {"period": "2026-03", "metric": "leads", "value": 4},
        {"period": "2026-03", "metric": "leads", "value": 5},
        {"period": "2026-05", "metric": "leads", "value": 5},
    )
    rows = progress(crm, found, "2026-04-10").targets
    assert [r.status for r in rows] == ["met", "missed", "upcoming"]
    assert [r.expected_to_date for r in rows] == [Decimal("4.00"), Decimal("5.00"), Decimal("0.00")]


def test_periods_follow_the_plans_time_zone(crm: Crm, new_party: Any, world: World) -> None:
    late_evening = world.prospect(new_party, "2026-02-28T23:30:00")
    found = make_plan(crm, {"period": "2026-03", "metric": "leads", "value": 1})
    assert actuals(progress(crm, found, "2026-07-01")) == [4]
    # 23:30 UTC on 28 February is already March in Berlin.
    assert actuals(progress(crm, found, "2026-07-01", time_zone="Europe/Berlin")) == [5]
    assert late_evening


def test_actuals_count_only_the_parties_the_reader_sees(crm: Crm, world: World, staff: Any) -> None:
    found = make_plan(
        crm,
        {"period": "2026-03", "metric": "leads", "value": 1},
        {"period": "2026-03", "metric": "reach", "value": 1},
    )
    # The manager of DE-10 (team north) sees unowned parties, not the Munich lead the FR-75 rep owns.
    assert actuals(progress(crm, found, "2026-07-01", staff.manager)) == [3, 3]
    # The FR-75 rep sees the Munich lead they own and the Paris one in their territory.
    assert actuals(progress(crm, found, "2026-07-01", staff.outsider)) == [2, 1]
    assert actuals(progress(crm, found, "2026-07-01", staff.marketer)) == [4, 4]
