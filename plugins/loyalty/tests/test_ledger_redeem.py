"""Redeeming: first in, first out over the lots, never beyond the balance, once per reference."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from crmkit_loyalty.ledger import redemptions
from crmkit_loyalty.ledger.tables import entry
from crmkit_loyalty.programmes.tables import reward
from sqlalchemy import select

from crmkit import ConflictError, Crm, ValidationError, utcnow

if TYPE_CHECKING:
    from conftest import LedgerKit, LedgerProgramme


def test_points_are_spent_soonest_expiry_first_then_oldest_never_expiring_last(
    crm: Crm, ledger: LedgerKit, new_party: Any
) -> None:
    member_id = ledger.member(new_party(), 100, 100, 100, 100)
    now = utcnow()
    ledger.set_expiry(member_id, "e0", None)
    ledger.set_expiry(member_id, "e1", now + timedelta(days=200))
    ledger.set_expiry(member_id, "e2", now + timedelta(days=30))
    ledger.set_expiry(member_id, "e3", now + timedelta(days=200))
    with crm.transaction() as tx:
        redemptions.redeem(tx, member_id, points=150, reference="r1")
    # e2 (30 days) whole, then e1 (200 days, older than e3) half; e0 never expires: last.
    assert ledger.remaining(member_id) == [100, 50, 0, 100]
    with crm.transaction() as tx:
        redemptions.redeem(tx, member_id, points=200, reference="r2")
    assert ledger.remaining(member_id) == [50, 0, 0, 0]
    ledger.assert_balances()


def test_a_redemption_for_a_reward_takes_its_points_and_its_stock(
    crm: Crm, ledger: LedgerKit, ledger_programme: LedgerProgramme, new_party: Any
) -> None:
    member_id = ledger.member(new_party(), 1000)
    with crm.transaction() as tx:
        made = redemptions.redeem(tx, member_id, reward_id=ledger_programme.mug, reference="m1")
    assert (made.points, made.status, made.reward_id) == (200, "completed", ledger_programme.mug)
    assert ledger.balance(member_id) == 800
    with crm.read() as conn:
        stock = conn.execute(select(reward.c.stock).where(reward.c.id == ledger_programme.mug))
        assert stock.scalar_one() == 1
    ledger.assert_balances()


def test_the_same_reference_again_is_the_same_redemption_and_another_body_a_conflict(
    crm: Crm, ledger: LedgerKit, new_party: Any
) -> None:
    member_id = ledger.member(new_party(), 1000)
    with crm.transaction() as tx:
        first = redemptions.redeem(tx, member_id, points=300, reference="req-1")
    with crm.transaction() as tx:
        again = redemptions.redeem(tx, member_id, points=300, reference="req-1")
    assert again == first
    before = ledger.snapshot()
    with pytest.raises(ConflictError, match="req-1"), crm.transaction() as tx:
        redemptions.redeem(tx, member_id, points=301, reference="req-1")
    assert ledger.snapshot() == before
    assert ledger.balance(member_id) == 700
    ledger.assert_balances()


@pytest.mark.parametrize(
    ("arguments", "error", "says"),
    [
        ({"points": -5}, ValidationError, "points"),
        ({"points": 0}, ValidationError, "points"),
        ({"points": 1001}, ConflictError, "only 1000 points"),
        ({}, ValidationError, "points"),
        ({"reward": "lounge"}, ConflictError, "tier rank 2"),
        ({"reward_id": 999_999}, ValidationError, "reward_id"),
        ({"reward": "voucher", "points": 10}, ValidationError, "points"),
        ({"points": 10, "reference": ""}, ValidationError, "reference"),
    ],
)
def test_bad_redemptions_are_refused_and_change_nothing(
    crm: Crm,
    ledger: LedgerKit,
    ledger_programme: LedgerProgramme,
    new_party: Any,
    arguments: dict[str, Any],
    error: type[Exception],
    says: str,
) -> None:
    member_id = ledger.member(new_party(), 1000)
    arguments = dict(arguments)
    if "reward" in arguments:
        arguments["reward_id"] = getattr(ledger_programme, arguments.pop("reward"))
    arguments.setdefault("reference", "bad")
    before = ledger.snapshot()
    with pytest.raises(error, match=says), crm.transaction() as tx:
        redemptions.redeem(tx, member_id, **arguments)
    assert ledger.snapshot() == before
    ledger.assert_balances()


def test_a_reward_out_of_stock_is_refused_and_changes_nothing(
    crm: Crm, ledger: LedgerKit, ledger_programme: LedgerProgramme, new_party: Any
) -> None:
    member_id = ledger.member(new_party(), 1000)
    for n in (1, 2):
        with crm.transaction() as tx:
            redemptions.redeem(tx, member_id, reward_id=ledger_programme.mug, reference=f"m{n}")
    before = ledger.snapshot()
    with pytest.raises(ConflictError, match="out of stock"), crm.transaction() as tx:
        redemptions.redeem(tx, member_id, reward_id=ledger_programme.mug, reference="m3")
    assert ledger.snapshot() == before
    ledger.assert_balances()


def test_cancelling_gives_the_points_back_to_their_lots_and_the_stock_once(
    crm: Crm, ledger: LedgerKit, ledger_programme: LedgerProgramme, new_party: Any
) -> None:
    member_id = ledger.member(new_party(), 150, 150)
    with crm.transaction() as tx:
        made = redemptions.redeem(tx, member_id, reward_id=ledger_programme.mug, reference="m")
    assert ledger.remaining(member_id) == [0, 100]
    with crm.transaction() as tx:
        cancelled = redemptions.cancel(tx, made.id)
    assert cancelled.status == "cancelled"
    assert ledger.remaining(member_id) == [150, 150]
    assert ledger.balance(member_id) == 300
    with crm.read() as conn:
        stock = conn.execute(select(reward.c.stock).where(reward.c.id == ledger_programme.mug))
        assert stock.scalar_one() == 2
        reverse = conn.execute(select(entry).where(entry.c.kind == "reverse")).one()
        assert (reverse.points, reverse.reverses_id) == (200, made.entry_id)
    before = ledger.snapshot()
    with pytest.raises(ConflictError, match="cancelled already"), crm.transaction() as tx:
        redemptions.cancel(tx, made.id)
    assert ledger.snapshot() == before
    ledger.assert_balances()


def test_cancelling_does_not_give_back_points_of_a_lot_that_has_expired_since(
    crm: Crm, ledger: LedgerKit, new_party: Any
) -> None:
    member_id = ledger.member(new_party(), 100, 100)
    with crm.transaction() as tx:
        made = redemptions.redeem(tx, member_id, points=150, reference="r")
    ledger.set_expiry(member_id, "e0", utcnow() - timedelta(seconds=1))
    with crm.transaction() as tx:
        redemptions.cancel(tx, made.id)
    # 100 came from e0, expired since: forfeited; 50 go back to e1.
    assert ledger.remaining(member_id) == [0, 100]
    assert ledger.balance(member_id) == 100
    ledger.assert_balances()
