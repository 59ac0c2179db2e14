"""Referrals under the kernel's privacy operations: a merge moves them, an export lists them,
an erasure forgets the party in them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmkit_loyalty.earning import referrals
from crmkit_loyalty.earning.tables import referral
from sqlalchemy import select

from crmkit import erase_party, export_party, merge_parties

if TYPE_CHECKING:
    from conftest import Loyalty, PartyMaker

REFERRAL = {"kind": "referral", "name": "Bring a friend", "points": 500}


def refer(loyalty: Loyalty, member_id: int, party_id: int) -> int:
    with loyalty.crm.transaction() as tx:
        return referrals.record_referral(tx, {"member_id": member_id, "party_id": party_id}).id


def rows(loyalty: Loyalty) -> dict[int, tuple[Any, str]]:
    with loyalty.crm.read() as conn:
        return {
            r.id: (r.referred_party_id, r.status)
            for r in conn.execute(select(referral).order_by(referral.c.id))
        }


def test_a_merge_moves_referrals_to_the_survivor_unless_it_was_referred_there_already(
    loyalty: Loyalty, new_party: PartyMaker
) -> None:
    club, other = loyalty.programme("Club", rules=(REFERRAL,)), loyalty.programme("Other")
    ada, bob = new_party(), new_party(first_name="Bob")
    ada_club, bob_club, ada_other = (
        loyalty.enrol(club, ada),
        loyalty.enrol(club, bob),
        loyalty.enrol(other, ada),
    )
    fred, fred_again = (new_party("prospect", first_name="Fred") for _ in range(2))
    first = refer(loyalty, ada_club, fred)
    clashing = refer(loyalty, bob_club, fred_again)
    moved = refer(loyalty, ada_other, fred_again)

    with loyalty.crm.transaction() as tx:
        merge_parties(tx, fred, fred_again)

    assert rows(loyalty) == {
        first: (fred, "pending"),
        clashing: (None, "cancelled"),
        moved: (fred, "pending"),
    }


def test_an_export_lists_referrals_and_an_erasure_forgets_the_party(
    loyalty: Loyalty, new_party: PartyMaker
) -> None:
    club = loyalty.programme("Club", rules=(REFERRAL,))
    ada = new_party()
    member_id = loyalty.enrol(club, ada)
    fred = new_party("prospect", first_name="Fred")
    made = refer(loyalty, member_id, fred)

    with loyalty.crm.read() as conn:
        of_fred = export_party(conn, loyalty.crm.host, fred)["loyalty"]
        of_ada = export_party(conn, loyalty.crm.host, ada)["loyalty"]
    assert [(r["id"], r["status"]) for r in of_fred["referred"]] == [(made, "pending")]
    assert of_fred["referrals_made"] == []
    assert [r["id"] for r in of_ada["referrals_made"]] == [made]
    assert "referred_party_id" not in str(of_ada)

    with loyalty.crm.transaction() as tx:
        erase_party(tx, fred)

    assert rows(loyalty) == {made: (None, "cancelled")}


def test_a_pending_referral_made_by_the_merged_party_rewards_the_survivor(
    loyalty: Loyalty, new_party: PartyMaker
) -> None:
    club = loyalty.programme("Club", rules=(REFERRAL,))
    ada, ada_again = new_party(), new_party(first_name="Adeline")
    kept, gone = loyalty.enrol(club, ada), loyalty.enrol(club, ada_again)
    fred = new_party("prospect", first_name="Fred")
    made = refer(loyalty, gone, fred)

    with loyalty.crm.transaction() as tx:
        merge_parties(tx, ada, ada_again)
    with loyalty.crm.read() as conn:
        assert [
            r["id"] for r in export_party(conn, loyalty.crm.host, ada)["loyalty"]["referrals_made"]
        ] == [made]
    with loyalty.crm.transaction() as tx:
        assert referrals.conclude_for(tx, fred) == 1

    assert [(e.source, e.points) for e in loyalty.entries(kept)] == [("referral", 500)]
    assert rows(loyalty) == {made: (fred, "rewarded")}


def test_a_referral_the_merged_party_made_of_the_survivor_is_cancelled(
    loyalty: Loyalty, new_party: PartyMaker
) -> None:
    club = loyalty.programme("Club", rules=(REFERRAL,))
    ada, prospect = new_party(), new_party("prospect", first_name="Ada")
    made = refer(loyalty, loyalty.enrol(club, ada), prospect)
    with loyalty.crm.transaction() as tx:
        merge_parties(tx, prospect, ada)
    assert rows(loyalty)[made][1] == "cancelled"


def test_erasing_a_referrer_cancels_their_pending_referrals(
    loyalty: Loyalty, new_party: PartyMaker
) -> None:
    club = loyalty.programme("Club", rules=(REFERRAL,))
    ada = new_party()
    fred = new_party("prospect", first_name="Fred")
    made = refer(loyalty, loyalty.enrol(club, ada), fred)

    with loyalty.crm.transaction() as tx:
        erase_party(tx, ada)

    assert rows(loyalty) == {made: (fred, "cancelled")}
