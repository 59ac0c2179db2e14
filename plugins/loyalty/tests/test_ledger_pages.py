"""The ledger's pages: the members list, a member's page, its redeem and adjust forms."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conftest import LedgerKit, LedgerProgramme, Staff


def _reference(page: str) -> str:
    found = re.search(r'name="reference" value="([0-9a-f]{32})"', page)
    assert found is not None
    return found[1]


def test_the_member_page_shows_balance_tier_and_ledger_and_redeems_once_per_form(
    client_as: Any,
    staff: Staff,
    ledger: LedgerKit,
    ledger_programme: LedgerProgramme,
    new_party: Any,
) -> None:
    member_id = ledger.member(new_party(), 600, 400)
    http = client_as(staff.manager)
    listed = http.get("/p/loyalty/page/members")
    assert listed.status_code == 200 and f"/p/loyalty/page/members/{member_id}" in listed.text
    page = http.get(f"/p/loyalty/page/members/{member_id}")
    assert page.status_code == 200
    assert "<strong>1000</strong> points" in page.text and "Silver since" in page.text
    # Rewards offered: what the member may have and afford (not the Gold-only lounge pass).
    assert "Voucher (500 points)" in page.text and "Lounge pass" not in page.text

    form = {"reference": _reference(page.text), "reward_id": str(ledger_programme.voucher)}
    for _ in range(2):  # a double click
        posted = http.post(
            f"/p/loyalty/page/members/{member_id}/redeem", data=form, follow_redirects=False
        )
        assert posted.status_code == 303
    assert ledger.balance(member_id) == 500
    ledger.assert_balances()


def test_a_refused_redemption_shows_the_page_again_with_why(
    client_as: Any, staff: Staff, ledger: LedgerKit, new_party: Any
) -> None:
    member_id = ledger.member(new_party(), 100)
    http = client_as(staff.manager)
    before = ledger.snapshot()
    beyond = http.post(
        f"/p/loyalty/page/members/{member_id}/redeem", data={"reference": "r1", "points": "150"}
    )
    assert beyond.status_code == 409 and "only 100 points" in beyond.text
    negative = http.post(
        f"/p/loyalty/page/members/{member_id}/redeem", data={"reference": "r2", "points": "-5"}
    )
    assert (
        negative.status_code == 422
        and 'id="points" name="points" type="text" value="-5" aria-invalid="true"' in negative.text
    )
    adjust = http.post(
        f"/p/loyalty/page/members/{member_id}/adjust", data={"adjust_points": "0", "reason": "x"}
    )
    assert (
        adjust.status_code == 422
        and 'id="adjust_points"' in adjust.text
        and 'aria-invalid="true"' in adjust.text
    )
    assert ledger.snapshot() == before


def test_the_adjust_form_is_only_for_who_may_adjust(
    client_as: Any, staff: Staff, ledger: LedgerKit, new_party: Any
) -> None:
    member_id = ledger.member(new_party(), 100)
    assert "/adjust" not in client_as(staff.agent).get(f"/p/loyalty/page/members/{member_id}").text
    http = client_as(staff.manager)
    assert "/adjust" in http.get(f"/p/loyalty/page/members/{member_id}").text
    posted = http.post(
        f"/p/loyalty/page/members/{member_id}/adjust",
        data={"adjust_points": "-40", "reason": "Returned goods"},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    assert ledger.balance(member_id) == 60


def test_an_outsider_gets_no_page_of_a_member_they_may_not_see(
    client_as: Any, staff: Staff, ledger: LedgerKit, new_party: Any
) -> None:
    member_id = ledger.member(new_party(), 100)
    outsider = client_as(staff.outsider)
    assert outsider.get(f"/p/loyalty/page/members/{member_id}").status_code == 404
    assert (
        f"/p/loyalty/page/members/{member_id}" not in outsider.get("/p/loyalty/page/members").text
    )
    answer = outsider.post(
        f"/p/loyalty/page/members/{member_id}/redeem", data={"reference": "r", "points": "10"}
    )
    assert answer.status_code == 404
    assert ledger.balance(member_id) == 100


def test_every_redemption_is_reachable_from_the_member_page_with_its_rewards_name(
    client_as: Any,
    staff: Staff,
    crm: Any,
    ledger: LedgerKit,
    ledger_programme: LedgerProgramme,
    new_party: Any,
) -> None:
    from crmkit_loyalty.ledger import redemptions

    member_id = ledger.member(new_party(), 1000)
    with crm.transaction() as tx:
        redemptions.redeem(tx, member_id, reward_id=ledger_programme.mug, reference="first")
        for n in range(55):
            redemptions.redeem(tx, member_id, points=1, reference=f"r{n}")
    http = client_as(staff.manager)
    page = http.get(f"/p/loyalty/page/members/{member_id}").text
    assert page.count("/cancel") == 50 and "<td>Mug</td>" not in page
    older = re.search(r'href="([^"]*redemptions_cursor=[^"]*)"', page)
    assert older is not None
    rest = http.get(older[1].replace("&amp;", "&")).text
    assert rest.count("/cancel") == 6 and "<td>Mug</td>" in rest


def test_a_membership_closed_by_a_merge_says_where_its_points_went_not_that_it_was_erased(
    crm: Any,
    client_as: Any,
    staff: Staff,
    ledger: LedgerKit,
    ledger_programme: LedgerProgramme,
    new_party: Any,
) -> None:
    from crmkit import merge_parties

    survivor, merged = new_party(), new_party(emails=["ada.l@example.org"])
    kept, gone = ledger.member(survivor, 100), ledger.member(merged, 200)
    with crm.transaction() as tx:
        merge_parties(tx, survivor, merged)
    http = client_as(staff.marketer)  # sees every party: also memberships no party holds
    page = http.get(f"/p/loyalty/page/members/{gone}")
    listed = http.get("/p/loyalty/page/members")
    assert page.status_code == 200
    assert f'merged into <a href="/p/loyalty/page/members/{kept}">' in page.text
    assert "erased" not in page.text
    assert "<em>merged</em>" in listed.text and "<em>erased</em>" not in listed.text
