"""The service plugin's contributions to campaigns: warranty-ending and contract-renewal
triggers entered by the daily job, and the segment criterion "has an open case"."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from crmkit_campaigns.campaigns import definition, lifecycle
from crmkit_campaigns.campaigns.tables import member
from crmkit_campaigns.segments.targets import compile_segment
from crmkit_campaigns.triggers import service as triggers
from crmkit_service.assets import service as assets
from crmkit_service.cases import service as cases
from crmkit_service.cases.categories import create_category
from crmkit_service.cases.tables import case as case_table
from sqlalchemy import select, update

from crmkit import SYSTEM, Crm

NOW = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
TODAY = NOW.date()


@pytest.fixture
def crm(make_campaigns: Any) -> Crm:
    return make_campaigns(plugins=("service",))


def triggered(crm: Crm, owner: Any, name: str, days: int) -> int:
    with crm.transaction(owner) as tx:
        made = definition.create_campaign(
            tx,
            {
                "name": name,
                "kind": "triggered",
                "purpose": "marketing",
                "trigger": {"name": name, "parameters": {"days": days}},
                "variants": [{"channel": "email", "subject": "Soon", "text": "Talk to us."}],
            },
        )
        lifecycle.start(tx, made.id)
    return made.id


def occurrences_of(crm: Crm, campaign_id: int) -> list[tuple[int, str]]:
    with crm.read() as conn:
        rows = conn.execute(
            select(member.c.party_id, member.c.occurrence)
            .where(member.c.campaign_id == campaign_id)
            .order_by(member.c.party_id)
        )
        return [(r.party_id, r.occurrence) for r in rows]


def add_asset(crm: Crm, party_id: int, serial: str, warranty_end: date) -> int:
    with crm.transaction() as tx:
        made = assets.create_asset(
            tx,
            {
                "party_id": party_id,
                "product": "Heat pump X1",
                "serial_number": serial,
                "warranty_end": warranty_end.isoformat(),
            },
        )
    return made.id


def test_warranty_ending_enters_each_asset_once_days_before_its_end(
    crm: Crm, new_party: Any, staff: Any
) -> None:
    ada, bob = new_party("customer"), new_party("customer", first_name="Bob")
    ending = TODAY + timedelta(days=28)
    ada_asset = add_asset(crm, ada, "SN-1", ending)
    add_asset(crm, bob, "SN-2", TODAY + timedelta(days=90))
    campaign_id = triggered(crm, staff.marketer, "service.warranty_ending", 30)

    triggers.run_all(crm, NOW)
    triggers.run_all(crm, NOW + timedelta(days=1))

    assert occurrences_of(crm, campaign_id) == [
        (ada, f"asset {ada_asset} warranty {ending.isoformat()}")
    ]


def test_contract_renewal_enters_customers_whose_contract_ends_soon(
    crm: Crm, new_party: Any, staff: Any
) -> None:
    ada = new_party("customer")
    ends = TODAY + timedelta(days=60)
    with crm.transaction() as tx:
        made = assets.create_contract(
            tx,
            {
                "party_id": ada,
                "reference": "SC-1",
                "starts_on": (ends - timedelta(days=365)).isoformat(),
                "ends_on": ends.isoformat(),
                "visits_included": 2,
            },
        )
    campaign_id = triggered(crm, staff.marketer, "service.contract_renewal", 60)
    assert [r.entered for r in triggers.run_all(crm, NOW)] == [1]
    assert occurrences_of(crm, campaign_id) == [
        (ada, f"contract {made.id} ends {ends.isoformat()}")
    ]


def test_service_triggers_validate_their_days(crm: Crm, staff: Any) -> None:
    from crmkit import ValidationError

    with pytest.raises(ValidationError) as refused, crm.transaction(staff.marketer) as tx:
        definition.create_campaign(
            tx,
            {
                "name": "Warranty",
                "kind": "triggered",
                "purpose": "marketing",
                "trigger": {"name": "service.warranty_ending", "parameters": {"days": 99999}},
                "variants": [{"channel": "email", "subject": "Soon", "text": "Talk to us."}],
            },
        )
    assert refused.value.field == "trigger.parameters.days"


def test_open_case_criterion_selects_parties_with_an_open_case(
    crm: Crm, new_party: Any, staff: Any
) -> None:
    open_high, open_low, closed, none = (new_party("customer") for _ in range(4))
    with crm.transaction() as tx:
        billing = create_category(tx, {"name": "Billing"}).id
        for party_id, priority in ((open_high, "high"), (open_low, "low"), (closed, "high")):
            made = cases.open_case(
                tx,
                {
                    "party_id": party_id,
                    "subject": "Help",
                    "priority": priority,
                    "category_id": billing if party_id != open_low else None,
                },
            )
            if party_id == closed:
                tx.conn.execute(
                    update(case_table).where(case_table.c.id == made.id).values(status="closed")
                )

    def selected(**with_: Any) -> list[int]:
        leaf: dict[str, Any] = {"criterion": "service.open_case", "op": "is"}
        if with_:
            leaf["with"] = with_
        with crm.transaction(SYSTEM) as tx:
            query = compile_segment(tx, {"all": [leaf]})
            return sorted(tx.conn.execute(query).scalars())

    assert selected() == [open_high, open_low]
    assert selected(priority="high") == [open_high]
    assert selected(category=billing) == [open_high]
    assert none not in selected()


def test_the_segment_form_and_the_triggers_list_offer_service_contributions(
    staff: Any, client_as: Any
) -> None:
    client = client_as(staff.marketer)
    criteria = {c["name"]: c for c in client.get("/p/campaigns/segments/criteria").json()}
    assert criteria["service.open_case"]["options"]["priority"].startswith("choice:low|")
    offered = {t["name"] for t in client.get("/p/campaigns/triggers").json()}
    assert {"service.warranty_ending", "service.contract_renewal"} <= offered


def test_open_case_takes_digits_as_the_segment_form_sends_them_and_an_age(
    crm: Crm, new_party: Any
) -> None:
    old, recent = new_party("customer"), new_party("customer")
    with crm.transaction() as tx:
        billing = create_category(tx, {"name": "Billing"}).id
        for party_id in (old, recent):
            made = cases.open_case(
                tx, {"party_id": party_id, "subject": "Help", "category_id": billing}
            )
            if party_id == old:
                tx.conn.execute(
                    update(case_table)
                    .where(case_table.c.id == made.id)
                    .values(created_at=datetime.now(UTC) - timedelta(days=10))
                )

    def selected(**with_: Any) -> list[int]:
        leaf = {"criterion": "service.open_case", "op": "is", "with": with_}
        with crm.transaction(SYSTEM) as tx:
            return sorted(tx.conn.execute(compile_segment(tx, {"all": [leaf]})).scalars())

    assert selected(category=str(billing)) == [old, recent]
    assert selected(category=f" {billing} ") == [old, recent]
    assert selected(category=billing + 1) == []
    # segments.md's example: an open case opened at least 7 days ago.
    assert selected(older_than_days="7") == [old]
    assert selected(older_than_days=11) == []
    assert selected(older_than_days=0, category=billing) == [old, recent]


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("category", "abc"),
        ("category", "0"),
        ("category", "²"),
        ("category", 1.5),
        ("older_than_days", "-1"),
        ("older_than_days", 36_501),
        ("priority", "asap"),
        ("priority", ["high"]),
    ],
)
def test_open_case_refuses_a_bad_option_naming_it(crm: Crm, option: str, value: Any) -> None:
    from crmkit import ValidationError

    leaf = {"criterion": "service.open_case", "op": "is", "with": {option: value}}
    with pytest.raises(ValidationError) as refused, crm.transaction(SYSTEM) as tx:
        compile_segment(tx, {"all": [leaf]})
    assert refused.value.field.endswith(f"with.{option}")
