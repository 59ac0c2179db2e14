"""Referrals over HTTP: recorded for a prospect or a new customer the actor sees, once per
programme; rewarded once when the prospect converts or the customer first orders."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from crmkit import Crm, convert_prospect

if TYPE_CHECKING:
    from conftest import Loyalty, LoyaltyMaker, OrderDesk, PartyMaker, Staff

REFERRAL = {"kind": "referral", "name": "Bring a friend", "points": 500}
SPEND = {"kind": "spend", "name": "1 point per euro", "points_per_unit": "1"}
PARIS = [{"street": "Rue de Rivoli 1", "postcode": "75001", "city": "Paris", "country": "FR"}]


@pytest.fixture
def crm(make_loyalty: LoyaltyMaker) -> Crm:
    return make_loyalty(with_plugins=("sfa",))


def refer(client: Any, member_id: int, party_id: int) -> Any:
    return client.post("/p/loyalty/referrals", json={"member_id": member_id, "party_id": party_id})


def convert(crm: Crm, party_id: int) -> None:
    with crm.transaction() as tx:
        convert_prospect(tx, party_id)


def test_a_referred_prospect_converting_rewards_the_member_once(
    loyalty: Loyalty, new_party: PartyMaker, staff: Staff, client_as: Any
) -> None:
    programme = loyalty.programme(rules=(REFERRAL,))
    ada = new_party()
    member_id = loyalty.enrol(programme, ada)
    friend = new_party("prospect", first_name="Fred", emails=["fred@example.org"])
    client = client_as(staff.manager)

    made = refer(client, member_id, friend)
    assert made.status_code == 201, made.text
    referral = made.json()
    assert (referral["status"], referral["referred_party_id"], referral["programme_id"]) == (
        "pending",
        friend,
        programme,
    )
    assert loyalty.entries(member_id) == []

    convert(loyalty.crm, friend)

    [earned] = loyalty.entries(member_id)
    assert (earned.points, earned.source, earned.reference) == (
        500,
        "referral",
        str(referral["id"]),
    )
    listed = client.get("/p/loyalty/referrals", params={"member_id": member_id})
    assert listed.status_code == 200
    [shown] = listed.json()
    assert (shown["id"], shown["status"]) == (referral["id"], "rewarded")
    assert shown["rewarded_at"] is not None


def test_a_referred_customer_is_rewarded_by_their_first_order(
    make_loyalty: LoyaltyMaker,
    staff: Staff,
    client_as: Any,
    loyalty: Loyalty,
    new_party: PartyMaker,
    order_desk: OrderDesk,
) -> None:
    programme = loyalty.programme(rules=(REFERRAL, SPEND))
    ada, newcomer = new_party(), new_party(first_name="Nina")
    member_id = loyalty.enrol(programme, ada)
    made = refer(client_as(staff.manager), member_id, newcomer)
    assert made.status_code == 201, made.text

    order_desk.place(newcomer, {"PAL": "2"})
    order_desk.place(newcomer, {"PAL": "2"})

    assert [(e.source, e.points) for e in loyalty.entries(member_id)] == [("referral", 500)]
    # The newcomer earns for their own orders only as a member: they are not one.
    assert loyalty.member(programme, newcomer) is None
    # A customer who has ordered is no new customer: nobody refers them any more.
    bob = new_party(first_name="Bob")
    refused = refer(client_as(staff.manager), loyalty.enrol(programme, bob), newcomer)
    assert (refused.status_code, "has ordered" in refused.text) == (422, True)


def test_bad_referrals_are_refused_naming_the_field_and_change_nothing(
    loyalty: Loyalty, new_party: PartyMaker, staff: Staff, client_as: Any
) -> None:
    programme = loyalty.programme(rules=(REFERRAL,))
    ada, bob = new_party(), new_party(first_name="Bob")
    ada_member, bob_member = loyalty.enrol(programme, ada), loyalty.enrol(programme, bob)
    friend = new_party("prospect", first_name="Fred")
    # The outsider's own prospect in Paris: the manager of Berlin does not see it.
    parisian = new_party(
        "prospect", owner_id=staff.outsider.user_id, first_name="Pierre", addresses=PARIS
    )
    client = client_as(staff.manager)

    cases = [
        ({"member_id": ada_member, "party_id": ada}, 422, "party_id"),
        ({"member_id": ada_member, "party_id": bob}, 422, "party_id"),
        ({"member_id": ada_member, "party_id": parisian}, 422, "party_id"),
        ({"member_id": 999999, "party_id": friend}, 422, "member_id"),
        ({"member_id": ada_member}, 422, "party_id"),
        ({"member_id": ada_member, "party_id": friend, "note": "x"}, 422, "note"),
        ({"member_id": "1", "party_id": friend}, 422, "member_id"),
    ]
    for body, status, field in cases:
        answer = client.post("/p/loyalty/referrals", json=body)
        assert answer.status_code == status, (body, answer.text)
        assert field in answer.text, (body, answer.text)

    assert refer(client, ada_member, friend).status_code == 201
    again = refer(client, bob_member, friend)
    assert again.status_code == 409
    listed = client.get("/p/loyalty/referrals", params={"member_id": bob_member}).json()
    assert listed == []


def test_a_member_whose_party_one_does_not_see_is_not_found(
    loyalty: Loyalty, new_party: PartyMaker, staff: Staff, client_as: Any
) -> None:
    programme = loyalty.programme(rules=(REFERRAL,))
    member_id = loyalty.enrol(programme, new_party())
    friend = new_party("prospect", first_name="Fred", addresses=PARIS)
    outsider = client_as(staff.outsider)

    # The outsider sees the prospect in Paris, not the member in Berlin.
    refused = refer(outsider, member_id, friend)
    assert (refused.status_code, "member_id" in refused.text) == (422, True)
    assert outsider.get("/p/loyalty/referrals", params={"member_id": member_id}).status_code == 404
    # read-only may list, not refer
    from crmkit.testing import add_user

    reader = client_as(add_user(loyalty.crm, "rita", "read-only"))
    assert reader.get("/p/loyalty/referrals", params={"member_id": member_id}).status_code == 200
    assert refer(reader, member_id, friend).status_code == 403


def test_without_a_referral_rule_or_over_the_cap_a_referral_is_cancelled(
    loyalty: Loyalty, new_party: PartyMaker, staff: Staff, client_as: Any
) -> None:
    capped = loyalty.programme(rules=({**REFERRAL, "max_per_party_per_year": 1},))
    bare = loyalty.programme("No referral rule")
    ada = new_party()
    capped_member, bare_member = loyalty.enrol(capped, ada), loyalty.enrol(bare, ada)
    client = client_as(staff.manager)
    friends = [new_party("prospect", first_name=name) for name in ("Fred", "Gina")]
    made = [refer(client, capped_member, f).json()["id"] for f in friends]
    elsewhere = refer(client, bare_member, friends[0]).json()["id"]

    for friend in friends:
        convert(loyalty.crm, friend)

    statuses = {
        r["id"]: r["status"]
        for member_id in (capped_member, bare_member)
        for r in client.get("/p/loyalty/referrals", params={"member_id": member_id}).json()
    }
    assert statuses == {made[0]: "rewarded", made[1]: "cancelled", elsewhere: "cancelled"}
    assert [e.points for e in loyalty.entries(capped_member)] == [500]
    assert loyalty.entries(bare_member) == []


def test_a_referred_prospect_who_orders_rewards_once_at_its_conversion(
    loyalty: Loyalty,
    new_party: PartyMaker,
    staff: Staff,
    client_as: Any,
    order_desk: OrderDesk,
) -> None:
    programme = loyalty.programme(rules=(REFERRAL,))
    member_id = loyalty.enrol(programme, new_party())
    friend = new_party("prospect", first_name="Fred")
    made = refer(client_as(staff.manager), member_id, friend).json()

    # Winning the order's opportunity converts the prospect; the order is then placed.
    order_desk.place(friend, {"PAL": "1"})
    order_desk.place(friend, {"PAL": "1"})

    assert [(e.source, e.reference) for e in loyalty.entries(member_id)] == [
        ("referral", str(made["id"]))
    ]
