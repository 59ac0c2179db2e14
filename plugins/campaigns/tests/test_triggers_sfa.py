"""Triggers part with the sfa plugin: a product group's replacement age, one occurrence per
order, entered once the years (and days) have passed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from crmkit_campaigns.campaigns import definition, lifecycle
from crmkit_campaigns.campaigns.tables import member
from crmkit_campaigns.triggers import service
from sqlalchemy import select

from crmkit import Crm


@pytest.fixture
def crm(make_campaigns: Any) -> Crm:
    return make_campaigns(sfa=True)


def test_an_order_of_the_group_placed_years_ago_enters_its_customer_once(
    crm: Crm, new_party: Any, place_order: Any, staff: Any
) -> None:
    ada, bob, cleo = (new_party("customer") for _ in range(3))
    boiler = place_order(crm, ada, datetime(2016, 6, 12, 10, tzinfo=UTC), {"boilers": "4000.00"})
    place_order(crm, bob, datetime(2016, 6, 20, 10, tzinfo=UTC), {"boilers": "4000.00"})  # not yet
    place_order(crm, cleo, datetime(2016, 6, 12, 10, tzinfo=UTC), {"solar": "900.00"})
    with crm.transaction(staff.marketer) as tx:
        made = definition.create_campaign(
            tx,
            {
                "name": "Time for a new boiler",
                "kind": "triggered",
                "purpose": "marketing",
                "trigger": {
                    "name": "campaigns.replacement_age",
                    "parameters": {"product_group": "boilers", "years": 10},
                },
                "variants": [{"channel": "email", "subject": "Ten years", "text": "Upgrade now."}],
            },
        )
        lifecycle.start(tx, made.id)

    now = datetime(2026, 6, 15, 9, tzinfo=UTC)
    assert [r.entered for r in service.run_all(crm, now)] == [1]
    assert [r.entered for r in service.run_all(crm, now)] == [0]
    with crm.read() as conn:
        rows = conn.execute(
            select(member.c.party_id, member.c.occurrence).where(member.c.campaign_id == made.id)
        ).all()
    assert [tuple(r) for r in rows] == [(ada, f"order {boiler}")]


def test_replacement_age_needs_whole_years(crm: Crm, staff: Any) -> None:
    from crmkit import ValidationError

    with pytest.raises(ValidationError) as refused, crm.transaction(staff.marketer) as tx:
        definition.create_campaign(
            tx,
            {
                "name": "Boilers",
                "kind": "triggered",
                "purpose": "marketing",
                "trigger": {
                    "name": "campaigns.replacement_age",
                    "parameters": {"product_group": "boilers", "years": 0},
                },
                "variants": [{"channel": "email", "subject": "Ten years", "text": "Upgrade."}],
            },
        )
    assert refused.value.field == "trigger.parameters.years"


@pytest.mark.parametrize(
    ("placed", "today", "due"),
    [
        # 29 February plus a year is 28 February, on SQLite as on PostgreSQL.
        ("2024-02-29", "2025-02-27", None),
        ("2024-02-29", "2025-02-28", "2025-02-28"),
        ("2024-02-29", "2028-02-29", "2028-02-29"),
        ("2024-01-31", "2025-01-31", "2025-01-31"),
    ],
)
def test_replacement_age_falls_due_on_the_same_day_or_the_months_last(
    crm: Crm, new_party: Any, place_order: Any, staff: Any, placed: str, today: str, due: str | None
) -> None:
    from datetime import date

    ada = new_party("customer")
    place_order(crm, ada, datetime.fromisoformat(f"{placed}T10:00+00:00"), {"boilers": "1.00"})
    years = int(today[:4]) - int(placed[:4])
    with crm.transaction(staff.marketer) as tx:
        made = definition.create_campaign(
            tx,
            {
                "name": "Boilers",
                "kind": "triggered",
                "purpose": "marketing",
                "trigger": {
                    "name": "campaigns.replacement_age",
                    "parameters": {"product_group": "boilers", "years": years},
                },
                "variants": [{"channel": "email", "subject": "Years", "text": "Upgrade."}],
            },
        )
    now = datetime.fromisoformat(f"{today}T12:00+00:00")
    with crm.read() as conn:
        found = service.preview(crm, conn, staff.marketer, made.id, now)
    assert [o.due_on for o in found.sample] == ([] if due is None else [date.fromisoformat(due)])
    assert found.due == (0 if due is None else 1)
