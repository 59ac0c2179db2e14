"""Points from real sfa orders: spend and product-group rules on net line amounts, the tier
multiplier, rounding down per order, auto-enrolment, currency, and an event delivered twice."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from crmkit_loyalty.earning import events

from crmkit import Crm, Event, hookimpl, utcnow
from crmkit.testing import register_plugin

if TYPE_CHECKING:
    from conftest import Loyalty, LoyaltyMaker, OrderDesk, PartyMaker

SPEND = {"kind": "spend", "name": "1 point per euro", "points_per_unit": "1"}
FORKLIFTS = {
    "kind": "product_group",
    "name": "Forklifts earn double",
    "product_group": "forklifts",
    "points_per_unit": "2",
}
GOLD = {"name": "Gold", "rank": 1, "threshold": 100000, "multiplier": "1.5"}


class Recorder:
    """Keeps the sfa.order_placed events, to deliver one a second time."""

    def __init__(self) -> None:
        self.seen: list[Event] = []

    @hookimpl
    def on_event(self, event: Event) -> None:
        if event.type == "sfa.order_placed":
            self.seen.append(event)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def crm(make_loyalty: LoyaltyMaker, recorder: Recorder) -> Crm:
    return make_loyalty(
        with_plugins=("sfa",), plugins=(register_plugin(recorder, name="recorder"),)
    )


def test_an_order_earns_per_rule_times_the_tier_multiplier_rounded_down_once(
    loyalty: Loyalty, new_party: PartyMaker, order_desk: OrderDesk
) -> None:
    programme = loyalty.programme(rules=(SPEND, FORKLIFTS), tiers=(GOLD,))
    ada = new_party()
    member_id = loyalty.enrol(programme, ada)
    loyalty.put_in_tier(member_id, "Gold")

    # FL-200 1,000.00 (forklifts: 2 points per euro); PAL 3 x 12.50 = 37.50 (no rule for
    # supplies: the spend rule); BOLT 7 x 0.35 = 2.45 (no group: the spend rule).
    order_id = order_desk.place(ada, {"FL-200": "1", "PAL": "3", "BOLT": "7"})

    [earned] = loyalty.entries(member_id)
    # (2,000 + 37.50 + 2.45) x 1.5 = 3,059.925: rounded down once, not per line.
    assert (earned.kind, earned.points, earned.source, earned.reference) == (
        "earn",
        3059,
        "sfa.order",
        str(order_id),
    )
    assert earned.rule_id is None
    details = earned.details
    assert details == {
        "order": details["order"],
        "currency": "EUR",
        "multiplier": "1.5",
        "rules": [
            {
                "rule_id": details["rules"][0]["rule_id"],
                "name": "1 point per euro",
                "kind": "spend",
                "amount": "39.95",
                "points": "39.95",
            },
            {
                "rule_id": details["rules"][1]["rule_id"],
                "name": "Forklifts earn double",
                "kind": "product_group",
                "amount": "1000",
                "points": "2000",
            },
        ],
    }
    assert loyalty.member(programme, ada).balance == 3059


def test_an_event_delivered_twice_earns_once(
    loyalty: Loyalty, new_party: PartyMaker, order_desk: OrderDesk, recorder: Recorder
) -> None:
    programme = loyalty.programme(rules=(SPEND,))
    ada = new_party()
    member_id = loyalty.enrol(programme, ada)
    order_desk.place(ada, {"PAL": "10"})
    [placed] = recorder.seen

    events.on_event(loyalty.crm, placed)

    assert [e.points for e in loyalty.entries(member_id)] == [125]
    assert loyalty.member(programme, ada).balance == 125


def test_an_order_in_another_currency_earns_nothing_there(
    loyalty: Loyalty, new_party: PartyMaker, order_desk: OrderDesk
) -> None:
    euros = loyalty.programme("Euro Club", rules=(SPEND,))
    dollars = loyalty.programme("Dollar Club", currency="USD", rules=(SPEND,))
    ada = new_party()
    in_euros, in_dollars = loyalty.enrol(euros, ada), loyalty.enrol(dollars, ada)

    order_desk.place(ada, {"PAL": "4"}, currency="USD")

    assert loyalty.entries(in_euros) == []
    assert [e.points for e in loyalty.entries(in_dollars)] == [50]


def test_rules_earn_only_on_the_days_they_are_valid(
    loyalty: Loyalty, new_party: PartyMaker, order_desk: OrderDesk
) -> None:
    yesterday = utcnow().date() - timedelta(days=1)
    ended = {**FORKLIFTS, "valid_until": str(yesterday)}
    programme = loyalty.programme(rules=(SPEND, ended))
    ada = new_party()
    member_id = loyalty.enrol(programme, ada)

    order_desk.place(ada, {"FL-200": "1"})

    [earned] = loyalty.entries(member_id)
    # The forklift rule ended yesterday: the spend rule applies, and is the only one.
    assert (earned.points, earned.rule_id is not None) == (1000, True)


@pytest.mark.parametrize(("auto_enrol", "enrolled"), [(True, True), (False, False)])
def test_a_customer_who_orders_is_enrolled_only_where_the_programme_says_so(
    loyalty: Loyalty, new_party: PartyMaker, order_desk: OrderDesk, auto_enrol: bool, enrolled: bool
) -> None:
    programme = loyalty.programme(rules=(SPEND,), auto_enrol=auto_enrol)
    prospect = new_party("prospect")

    order_desk.place(prospect, {"PAL": "2"})

    found: Any = loyalty.member(programme, prospect)
    assert (found is not None) == enrolled
    if enrolled:
        assert (found.balance, found.status) == (25, "active")
        assert [e.source for e in loyalty.entries(found.id)] == ["sfa.order"]


def test_a_closed_programme_earns_nothing(
    loyalty: Loyalty, new_party: PartyMaker, order_desk: OrderDesk
) -> None:
    programme = loyalty.programme(rules=(SPEND,))
    ada = new_party()
    member_id = loyalty.enrol(programme, ada)
    from crmkit_loyalty.programmes.tables import programme as programme_table
    from sqlalchemy import update

    with loyalty.crm.transaction() as tx:
        tx.conn.execute(
            update(programme_table).where(programme_table.c.id == programme).values(status="closed")
        )

    order_desk.place(ada, {"PAL": "2"})

    assert loyalty.entries(member_id) == []


def test_an_order_worth_more_than_one_entry_holds_earns_the_maximum_and_others_still_earn(
    loyalty: Loyalty, new_party: PartyMaker, order_desk: OrderDesk
) -> None:
    lavish = loyalty.programme(
        "Lavish", rules=({**SPEND, "name": "1,000 per euro", "points_per_unit": "1000"},)
    )
    plain = loyalty.programme("Plain", rules=(SPEND,))
    ada = new_party()
    big, small = loyalty.enrol(lavish, ada), loyalty.enrol(plain, ada)

    # 2,000 forklifts: 2,000,000 euros, 2,000,000,000 points at 1,000 a euro.
    order_desk.place(ada, {"FL-200": "2000"})

    [capped] = loyalty.entries(big)
    assert (capped.points, capped.details["capped_from"]) == (1_000_000_000, 2_000_000_000)
    assert [(e.points, "capped_from" in e.details) for e in loyalty.entries(small)] == [
        (2_000_000, False)
    ]
