"""Expiry and adjustments: what is left of a lot past its date leaves the balance, once."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from crmkit_loyalty.ledger import adjustments, redemptions, service
from crmkit_loyalty.ledger.expiry import expire_points
from crmkit_loyalty.ledger.tables import entry, lot
from sqlalchemy import select

from crmkit import ConflictError, Crm, ValidationError, utcnow

if TYPE_CHECKING:
    from conftest import LedgerKit


def _entries(crm: Crm, kind: str) -> list[tuple[int, str, str]]:
    with crm.read() as conn:
        rows = conn.execute(
            select(entry.c.points, entry.c.source, entry.c.reference)
            .where(entry.c.kind == kind)
            .order_by(entry.c.id)
        )
        return [tuple(r) for r in rows]


def test_the_expiry_job_expires_what_is_left_of_each_due_lot_once(
    crm: Crm, ledger: LedgerKit, new_party: Any
) -> None:
    member_id = ledger.member(new_party(), 100, 200, 300)
    with crm.transaction() as tx:
        redemptions.redeem(tx, member_id, points=30, reference="r")
    past = utcnow() - timedelta(days=1)
    ledger.set_expiry(member_id, "e0", past)
    ledger.set_expiry(member_id, "e1", past)
    with crm.read() as conn:
        lots = {r.entry_id: r.remaining for r in conn.execute(select(lot))}
    first, second, _ = sorted(lots)
    assert lots[first] == 70  # the redemption took the soonest expiring first

    assert expire_points(crm) == 270
    assert expire_points(crm) == 0  # run again: nothing expires twice

    assert _entries(crm, "expire") == [(-70, "expiry", str(first)), (-200, "expiry", str(second))]
    assert ledger.remaining(member_id) == [0, 0, 300]
    assert ledger.balance(member_id) == 300
    ledger.assert_balances()


def test_a_redemption_never_spends_points_past_their_expiry_even_before_the_job_runs(
    crm: Crm, ledger: LedgerKit, new_party: Any
) -> None:
    member_id = ledger.member(new_party(), 100, 100)
    ledger.set_expiry(member_id, "e0", utcnow() - timedelta(minutes=1))
    before = ledger.snapshot()
    with pytest.raises(ConflictError, match="only 100 points"), crm.transaction() as tx:
        redemptions.redeem(tx, member_id, points=150, reference="r")
    assert ledger.snapshot() == before
    with crm.transaction() as tx:
        redemptions.redeem(tx, member_id, points=100, reference="r")
    assert ledger.balance(member_id) == 0
    assert [p for p, _, _ in _entries(crm, "expire")] == [-100]
    ledger.assert_balances()


def test_earning_again_with_the_same_reference_changes_nothing(
    crm: Crm, ledger: LedgerKit, new_party: Any
) -> None:
    member_id = ledger.member(new_party(), 100)
    before = ledger.snapshot()
    with crm.transaction() as tx:
        assert service.earn(tx, member_id, 100, source="test", reference="e0") is None
        assert service.earn(tx, member_id, 999, source="test", reference="e0") is None
    assert ledger.snapshot() == before
    ledger.assert_balances()


def test_a_positive_adjustment_is_a_lot_and_a_negative_one_is_spent_first_in_first_out(
    crm: Crm, ledger: LedgerKit, new_party: Any
) -> None:
    member_id = ledger.member(new_party(), 100, 100)
    with crm.transaction() as tx:
        given = adjustments.adjust(tx, member_id, 50, reason="Goodwill: late delivery", key="k1")
        again = adjustments.adjust(tx, member_id, 50, reason="Goodwill: late delivery", key="k1")
    assert again == given
    assert (given.kind, given.points, given.description) == (
        "adjust",
        50,
        "Goodwill: late delivery",
    )
    assert given.expires_at is not None
    with crm.transaction() as tx:
        adjustments.adjust(tx, member_id, -120, reason="Points given by mistake")
    assert ledger.remaining(member_id) == [0, 80, 50]
    assert ledger.balance(member_id) == 130
    ledger.assert_balances()


@pytest.mark.parametrize(
    ("points", "reason", "key", "error", "says"),
    [
        (-201, "Too many", None, ConflictError, "only 200 points"),
        (0, "Nothing", None, ValidationError, "points"),
        (10, "", None, ValidationError, "reason"),
        (10, "Other reason", "k", ConflictError, "'k'"),
        (True, "A bool", None, ValidationError, "points"),
    ],
)
def test_bad_adjustments_are_refused_and_change_nothing(
    crm: Crm,
    ledger: LedgerKit,
    new_party: Any,
    points: Any,
    reason: str,
    key: str | None,
    error: type[Exception],
    says: str,
) -> None:
    member_id = ledger.member(new_party(), 200)
    with crm.transaction() as tx:
        adjustments.adjust(tx, member_id, 1, reason="First", key="k")
    with crm.transaction() as tx:
        adjustments.adjust(tx, member_id, -1, reason="Undo the first")
    before = ledger.snapshot()
    with pytest.raises(error, match=says), crm.transaction() as tx:
        adjustments.adjust(tx, member_id, points, reason=reason, key=key)
    assert ledger.snapshot() == before
    ledger.assert_balances()
