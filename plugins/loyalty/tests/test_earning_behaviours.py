"""Points for behaviours a plugin announces through ``loyalty_behaviours``: a throwaway plugin
registers an event type and a behaviour, emits the event, and its party earns, within the
rule's yearly cap, once per event however often it is delivered."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from attrs import frozen
from crmkit_loyalty.earning import events

from crmkit import Crm, Event, EventType, PluginError, hookimpl
from crmkit.testing import register_plugin

if TYPE_CHECKING:
    from conftest import Loyalty, LoyaltyMaker, PartyMaker


@frozen
class ReviewWritten:
    """The behaviour: its party is the payload's ``customer_id``."""

    name: str = "acme.review"
    label: str = "Wrote a product review"
    event_type: str = "acme.review_written"

    def party_of(self, payload: dict[str, Any]) -> int | None:
        customer = payload.get("customer_id")
        return customer if isinstance(customer, int) else None


class Acme:
    """A plugin of product reviews that does not depend on loyalty."""

    def __init__(self) -> None:
        self.seen: list[Event] = []

    @hookimpl
    def register_event_types(self) -> list[EventType]:
        return [EventType("acme.review_written", "A customer wrote a review", "acme.review")]

    @hookimpl(optionalhook=True)
    def loyalty_behaviours(self) -> list[Any]:
        return [ReviewWritten()]

    @hookimpl
    def on_event(self, event: Event) -> None:
        if event.type == "acme.review_written":
            self.seen.append(event)


@pytest.fixture
def acme() -> Acme:
    return Acme()


@pytest.fixture
def crm(make_loyalty: LoyaltyMaker, acme: Acme) -> Crm:
    return make_loyalty(plugins=(register_plugin(acme, name="acme"),))


def review(crm: Crm, review_id: int, payload: dict[str, Any]) -> None:
    with crm.transaction() as tx:
        tx.emit("acme.review_written", "acme.review", review_id, payload)


def reviews_rule(**data: Any) -> dict[str, Any]:
    return {
        "kind": "behaviour",
        "name": "Reviews",
        "behaviour": "acme.review",
        "points": 25,
        **data,
    }


def test_the_party_of_an_announced_behaviour_earns_the_rules_points(
    loyalty: Loyalty, new_party: PartyMaker
) -> None:
    programme = loyalty.programme(rules=(reviews_rule(),))
    ada = new_party()
    member_id = loyalty.enrol(programme, ada)

    review(loyalty.crm, 1, {"customer_id": ada, "stars": 5})

    [earned] = loyalty.entries(member_id)
    assert (earned.points, earned.source, earned.description) == (
        25,
        "behaviour:acme.review",
        "Wrote a product review",
    )
    assert loyalty.member(programme, ada).balance == 25


def test_an_event_delivered_twice_earns_once(
    loyalty: Loyalty, new_party: PartyMaker, acme: Acme
) -> None:
    programme = loyalty.programme(rules=(reviews_rule(),))
    ada = new_party()
    member_id = loyalty.enrol(programme, ada)
    review(loyalty.crm, 1, {"customer_id": ada})
    [told] = acme.seen

    events.on_event(loyalty.crm, told)

    [earned] = loyalty.entries(member_id)
    assert earned.reference == str(told.id)
    assert loyalty.member(programme, ada).balance == 25


def test_the_yearly_cap_stops_earning_per_party(loyalty: Loyalty, new_party: PartyMaker) -> None:
    programme = loyalty.programme(rules=(reviews_rule(max_per_party_per_year=2),))
    ada, bob = new_party(), new_party(first_name="Bob")
    ada_member, bob_member = loyalty.enrol(programme, ada), loyalty.enrol(programme, bob)

    for review_id in range(1, 4):
        review(loyalty.crm, review_id, {"customer_id": ada})
    review(loyalty.crm, 4, {"customer_id": bob})

    assert [e.points for e in loyalty.entries(ada_member)] == [25, 25]
    assert [e.points for e in loyalty.entries(bob_member)] == [25]


def test_no_party_no_member_or_no_rule_earns_nothing(
    loyalty: Loyalty, new_party: PartyMaker
) -> None:
    programme = loyalty.programme(rules=(reviews_rule(),))
    other = loyalty.programme("No reviews here")
    ada, stranger = new_party(), new_party(first_name="Stan")
    member_id = loyalty.enrol(programme, ada)
    elsewhere = loyalty.enrol(other, ada)

    review(loyalty.crm, 1, {"stars": 3})
    review(loyalty.crm, 2, {"customer_id": stranger})

    assert loyalty.entries(member_id) == []
    assert loyalty.entries(elsewhere) == []
    # Without auto-enrolment a behaviour does not make a member.
    assert loyalty.member(programme, stranger) is None


def test_an_auto_enrolling_programme_enrols_a_customer_not_a_prospect(
    loyalty: Loyalty, new_party: PartyMaker
) -> None:
    programme = loyalty.programme(rules=(reviews_rule(),), auto_enrol=True)
    customer, prospect = new_party(), new_party("prospect", first_name="Pia")

    review(loyalty.crm, 1, {"customer_id": customer})
    review(loyalty.crm, 2, {"customer_id": prospect})

    joined = loyalty.member(programme, customer)
    assert joined is not None and joined.balance == 25
    assert loyalty.member(programme, prospect) is None


def test_the_tier_multiplies_a_behaviours_points_rounded_down(
    loyalty: Loyalty, new_party: PartyMaker
) -> None:
    gold = {"name": "Gold", "rank": 1, "threshold": 100000, "multiplier": "1.5"}
    programme = loyalty.programme(rules=(reviews_rule(),), tiers=(gold,))
    ada = new_party()
    member_id = loyalty.enrol(programme, ada)
    loyalty.put_in_tier(member_id, "Gold")

    review(loyalty.crm, 1, {"customer_id": ada})

    [earned] = loyalty.entries(member_id)
    assert earned.points == 37
    assert (earned.details["points"], earned.details["multiplier"]) == (25, "1.5")


@frozen
class Announcing:
    """A plugin announcing the behaviours named."""

    names: tuple[str, ...]

    @hookimpl(optionalhook=True)
    def loyalty_behaviours(self) -> list[Any]:
        return [ReviewWritten(name=name) for name in self.names]


def test_two_plugins_announcing_one_behaviour_refuse_to_start_naming_both(
    make_loyalty: LoyaltyMaker,
) -> None:
    crm = make_loyalty(
        plugins=(
            register_plugin(Announcing(("acme.review",)), name="acme"),
            register_plugin(Announcing(("acme.review",)), name="copycat"),
        )
    )
    with pytest.raises(PluginError, match="acme") as refused:
        crm.start()
    assert "copycat" in str(refused.value)


@pytest.mark.parametrize("name", ["Acme.Review", "acme", "acme review", "other.review", ""])
def test_a_badly_named_behaviour_refuses_to_start_naming_its_plugin(
    make_loyalty: LoyaltyMaker, name: str
) -> None:
    crm = make_loyalty(plugins=(register_plugin(Announcing((name,)), name="acme"),))
    with pytest.raises(PluginError, match="'acme'"):
        crm.start()


def test_well_named_behaviours_start(crm: Crm) -> None:
    crm.start()
