"""The ledger's JSON API: members, redemptions, adjustments, and who sees which member."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from crmkit import Crm

if TYPE_CHECKING:
    from conftest import LedgerKit, LedgerProgramme, Staff


def test_a_member_is_enrolled_redeems_and_cancels_over_http(
    client_as: Any,
    staff: Staff,
    ledger: LedgerKit,
    ledger_programme: LedgerProgramme,
    new_party: Any,
) -> None:
    http = client_as(staff.manager)
    party = new_party()
    made = http.post(
        "/p/loyalty/members", json={"programme_id": ledger_programme.id, "party_id": party}
    )
    assert made.status_code == 201, made.text
    member = made.json()
    assert member["number"].startswith("L") and member["balance"] == 0
    again = http.post(
        "/p/loyalty/members", json={"programme_id": ledger_programme.id, "party_id": party}
    )
    assert (again.status_code, again.json()["id"]) == (200, member["id"])

    base = f"/p/loyalty/members/{member['id']}"
    given = http.post(f"{base}/adjustments", json={"points": 900, "reason": "Welcome bonus"})
    assert given.status_code == 201, given.text
    redeemed = http.post(
        f"{base}/redemptions", json={"reference": "pos-1", "reward_id": ledger_programme.voucher}
    )
    assert redeemed.status_code == 201, redeemed.text
    repeated = http.post(
        f"{base}/redemptions", json={"reference": "pos-1", "reward_id": ledger_programme.voucher}
    )
    assert (repeated.status_code, repeated.json()) == (200, redeemed.json())

    detail = http.get(base).json()
    assert detail["member"]["balance"] == 400
    assert (detail["tier_name"], detail["expiring_soon"]) == ("Member", 0)
    entries = http.get(f"{base}/entries").json()["items"]
    assert [(e["kind"], e["points"]) for e in entries] == [("redeem", -500), ("adjust", 900)]

    cancelled = http.post(f"{base}/redemptions/{redeemed.json()['id']}/cancel")
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    twice = http.post(f"{base}/redemptions/{redeemed.json()['id']}/cancel")
    assert twice.status_code == 409
    assert http.get(base).json()["member"]["balance"] == 900
    listed = http.get("/p/loyalty/members", params={"q": member["number"]}).json()["items"]
    assert [m["id"] for m in listed] == [member["id"]]
    ledger.assert_balances()


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"reference": "x", "points": -10}, 422, "points"),
        ({"reference": "x", "points": 0}, 422, "points"),
        ({"reference": "x", "points": 1001}, 409, None),
        ({"reference": "x", "reward_id": 999_999}, 422, "reward_id"),
        ({"points": 10}, 422, "reference"),
        ({"reference": "x", "points": 10, "colour": "red"}, 422, "colour"),
    ],
)
def test_bad_redemptions_over_http_are_refused_naming_the_field_and_change_nothing(
    client_as: Any,
    staff: Staff,
    ledger: LedgerKit,
    new_party: Any,
    body: dict[str, Any],
    status: int,
    field: str | None,
) -> None:
    member_id = ledger.member(new_party(), 1000)
    before = ledger.snapshot()
    answer = client_as(staff.manager).post(f"/p/loyalty/members/{member_id}/redemptions", json=body)
    assert answer.status_code == status, answer.text
    if field is not None:
        assert answer.json()["field"] == field
    else:
        assert "only 1000 points" in answer.json()["detail"]
    assert ledger.snapshot() == before


def test_an_outsider_neither_sees_nor_redeems_for_a_member_of_a_party_they_do_not_see(
    crm: Crm, client_as: Any, staff: Staff, ledger: LedgerKit, new_party: Any
) -> None:
    party = new_party()  # in Berlin: DE-10, not the outsider's FR-75
    member_id = ledger.member(party, 1000)
    outsider = client_as(staff.outsider)
    before = ledger.snapshot()
    assert outsider.get(f"/p/loyalty/members/{member_id}").status_code == 404
    assert outsider.get(f"/p/loyalty/parties/{party}/members").status_code == 404
    assert outsider.get(f"/p/loyalty/members/{member_id}/entries").status_code == 404
    redeem = outsider.post(
        f"/p/loyalty/members/{member_id}/redemptions", json={"reference": "x", "points": 10}
    )
    assert redeem.status_code == 404
    assert outsider.get("/p/loyalty/members").json()["items"] == []
    assert ledger.snapshot() == before
    manager = client_as(staff.manager)
    assert [m["id"] for m in manager.get("/p/loyalty/members").json()["items"]] == [member_id]
    memberships = manager.get(f"/p/loyalty/parties/{party}/members").json()
    assert [(m["id"], m["balance"]) for m in memberships] == [(member_id, 1000)]


def test_only_who_may_adjust_adjusts(
    client_as: Any, staff: Staff, ledger: LedgerKit, new_party: Any
) -> None:
    member_id = ledger.member(new_party(), 100)
    body = {"points": 50, "reason": "Goodwill"}
    assert (
        client_as(staff.agent)
        .post(f"/p/loyalty/members/{member_id}/adjustments", json=body)
        .status_code
        == 403
    )
    refused = client_as(staff.manager).post(
        f"/p/loyalty/members/{member_id}/adjustments", json={"points": -500, "reason": "Too much"}
    )
    assert refused.status_code == 409 and "only 100 points" in refused.json()["detail"]
    assert ledger.balance(member_id) == 100


def test_an_adjustment_sent_again_with_its_key_answers_200_and_is_told_once(
    crm: Crm, client_as: Any, staff: Staff, ledger: LedgerKit, new_party: Any
) -> None:
    http = client_as(staff.manager)
    member_id = ledger.member(new_party())
    body = {"points": 75, "reason": "Goodwill", "key": "desk-7"}
    first = http.post(f"/p/loyalty/members/{member_id}/adjustments", json=body)
    again = http.post(f"/p/loyalty/members/{member_id}/adjustments", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert ledger.balance(member_id) == 75


def test_a_balance_beyond_two_billion_points_is_kept_and_shown(
    client_as: Any, staff: Staff, ledger: LedgerKit, new_party: Any
) -> None:
    http = client_as(staff.manager)
    member_id = ledger.member(new_party())
    for n in range(3):
        given = http.post(
            f"/p/loyalty/members/{member_id}/adjustments",
            json={"points": 1_000_000_000, "reason": "Jackpot", "key": f"k{n}"},
        )
        assert given.status_code == 201, given.text
    shown = http.get(f"/p/loyalty/members/{member_id}").json()["member"]
    assert (shown["balance"], shown["lifetime_points"]) == (3_000_000_000, 0)
    ledger.assert_balances()
