"""``crmkit loyalty check``: every balance and lot recomputed from the ledger; mismatches reported."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmkit_loyalty.ledger import redemptions, service
from crmkit_loyalty.ledger.tables import lot, member
from sqlalchemy import select, update

from crmkit import Crm
from crmkit.testing import invoke

if TYPE_CHECKING:
    from conftest import LedgerKit, LedgerProgramme


def test_the_check_passes_on_a_ledger_that_balances_and_names_each_mismatch(
    crm: Crm, ledger: LedgerKit, new_party: Any
) -> None:
    member_id = ledger.member(new_party(), 300, 200)
    with crm.transaction() as tx:
        redemptions.redeem(tx, member_id, points=350, reference="r")
    passed = invoke(crm, "loyalty", "check")
    assert passed.exit_code == 0, passed.output
    assert "the ledger balances" in passed.output

    with crm.transaction() as tx:  # points made out of nothing, and a lot that lost some
        tx.conn.execute(update(member).where(member.c.id == member_id).values(balance=1000))
        first = tx.conn.execute(select(lot.c.entry_id).order_by(lot.c.entry_id)).scalars().first()
        tx.conn.execute(update(lot).where(lot.c.entry_id == first).values(remaining=7))
    failed = invoke(crm, "loyalty", "check")
    assert failed.exit_code == 1
    assert f"balance {member_id}: stored 1000, the ledger says 150" in failed.output
    assert f"lot {first}: stored 7, the ledger says 0" in failed.output


def test_the_events_of_the_ledger_carry_the_member_party_and_points(
    crm: Crm, ledger_programme: LedgerProgramme, new_party: Any
) -> None:
    party = new_party()
    with crm.transaction() as tx:
        made = service.enrol(tx, ledger_programme.id, party)
        service.earn(tx, made.id, 300, source="test", reference="e0")
        redemptions.redeem(tx, made.id, points=100, reference="r")
        events = [(e.type, e.payload) for e in tx.events if e.type != "loyalty.tier_changed"]
    assert [t for t, _ in events] == [
        "loyalty.member_enrolled",
        "loyalty.points_earned",
        "loyalty.points_redeemed",
    ]
    for _, payload in events:
        assert (payload["member_id"], payload["party_id"]) == (made.id, party)
        assert payload["programme_id"] == ledger_programme.id
    assert (events[1][1]["points"], events[2][1]["points"], events[2][1]["balance"]) == (
        300,
        100,
        200,
    )


def test_a_negative_balance_is_reported_as_such(
    crm: Crm, ledger: LedgerKit, new_party: Any
) -> None:
    from crmkit_loyalty.ledger import entries

    from crmkit import utcnow

    member_id = ledger.member(new_party())
    with crm.transaction() as tx:  # taken from nothing: the entries agree, the balance is below 0
        entries.append(tx, member_id, "adjust", -5, source="test", reference="neg", now=utcnow())
        tx.conn.execute(update(member).where(member.c.id == member_id).values(balance=-5))
        tx.conn.execute(update(lot).values(remaining=0))
    failed = invoke(crm, "loyalty", "check")
    assert failed.exit_code == 1
    assert f"balance {member_id}: stored -5, the ledger says -5: negative balance" in failed.output
