"""Plans part with the sfa plugin: revenue actuals from orders placed in the period, by product
group (order lines), region and currency, over the parties the reader sees."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from crmkit_campaigns.plans import service
from crmkit_campaigns.plans.progress import plan_progress
from crmkit_campaigns.plans.settings import PlanSettings

from crmkit import SYSTEM, Actor, Crm

MUNICH = [{"street": "Marienplatz 1", "postcode": "80331", "city": "München", "country": "DE"}]


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


@pytest.fixture
def crm(make_campaigns: Any) -> Crm:
    return make_campaigns(sfa=True)


def revenue(crm: Crm, actor: Actor = SYSTEM, **target: Any) -> Decimal | None:
    with crm.transaction() as tx:
        found = service.create_plan(
            tx,
            {
                "name": "2026",
                "start": "2026-01",
                "end": "2026-12",
                "targets": [
                    {
                        "period": "2026-03",
                        "metric": "revenue",
                        "value": "1000.00",
                        "currency": "EUR",
                        **target,
                    }
                ],
            },
        )
    with crm.read() as conn:
        progress = plan_progress(crm.host, conn, actor, found, at("2026-07-01"), PlanSettings())
    return progress.targets[0].actual


def test_revenue_sums_net_orders_placed_in_the_period(
    crm: Crm, new_party: Any, place_order: Any, staff: Any
) -> None:
    berlin = new_party("customer")
    munich = new_party("customer", addresses=MUNICH, owner_id=staff.outsider.user_id)
    place_order(crm, berlin, at("2026-03-02"), {"heating": "500.00", "solar": "120.50"})
    place_order(crm, munich, at("2026-03-30"), {"heating": "1000.00"})
    place_order(crm, berlin, at("2026-04-01"), {"heating": "7000.00"})  # April
    place_order(crm, berlin, at("2026-03-10"), {"heating": "9000.00"}, currency="USD")

    assert revenue(crm) == Decimal("1620.50")
    assert revenue(crm, product_group="heating") == Decimal("1500.00")
    assert revenue(crm, product_group="heating", region="DE-10") == Decimal("500.00")
    assert revenue(crm, currency="USD") == Decimal("9000.00")
    # The manager of DE-10 does not see the Munich customer the FR-75 rep owns.
    assert revenue(crm, staff.manager) == Decimal("620.50")


def test_revenue_actuals_and_deviations_are_amounts_in_cents_on_every_database(
    crm: Crm, new_party: Any, place_order: Any, staff: Any, client_as: Any
) -> None:
    berlin = new_party("customer")
    place_order(crm, berlin, at("2026-03-02"), {"heating": "1.55"})
    client = client_as(staff.marketer)
    made = client.post(
        "/p/campaigns/plans",
        json={
            "name": "Cents",
            "start": "2026-01",
            "end": "2026-12",
            "targets": [
                {"period": "2026-03", "metric": "revenue", "value": "4", "currency": "EUR"},
                {"period": "2026-03", "metric": "revenue", "value": "2.5", "currency": "USD"},
            ],
        },
    )
    assert made.status_code == 201, made.text
    assert [t["value"] for t in made.json()["targets"]] == ["4.00", "2.50"]
    read = client.get(f"/p/campaigns/plans/{made.json()['id']}").json()["targets"]
    shown = [(t["actual"], t["expected_to_date"], t["deviation"]) for t in read]
    assert shown == [("1.55", "4.00", "-2.45"), ("0.00", "2.50", "-2.50")]
