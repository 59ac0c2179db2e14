"""Concurrent redemptions of one member: exactly what the balance allows succeeds, never more.

Sixty threads redeem at once, each in its own transaction, against a balance that covers a
few of them: on PostgreSQL they meet at the member's row lock (``SELECT … FOR UPDATE``), on
SQLite at its single writer. The others are refused with a conflict and leave no trace.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from crmkit_loyalty.ledger import redemptions
from crmkit_loyalty.ledger.tables import entry, redemption
from sqlalchemy import func, select

from crmkit import ConflictError, Crm

if TYPE_CHECKING:
    from conftest import LedgerKit

THREADS = 60
COST = 70


def test_sixty_concurrent_redemptions_spend_exactly_the_balance_and_no_more(
    crm: Crm, ledger: LedgerKit, new_party: Any
) -> None:
    member_id = ledger.member(new_party(), 400, 300, 300)
    start = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def redeem(n: int) -> None:
        start.wait()
        try:
            with crm.transaction() as tx:
                redemptions.redeem(tx, member_id, points=COST, reference=f"till-{n}")
            outcome = "redeemed"
        except ConflictError as refused:
            outcome = "refused" if "only" in refused.message else refused.message
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=redeem, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(set(outcomes)) == ["redeemed", "refused"]
    assert outcomes.count("redeemed") == 1000 // COST
    assert outcomes.count("refused") == THREADS - 1000 // COST
    assert ledger.balance(member_id) == 1000 - (1000 // COST) * COST
    with crm.read() as conn:
        redeemed = conn.execute(select(func.count()).select_from(redemption)).scalar_one()
        spent = conn.execute(select(func.sum(entry.c.points)).where(entry.c.kind == "redeem"))
        assert redeemed == 1000 // COST
        assert spent.scalar_one() == -(1000 // COST) * COST
    ledger.assert_balances()


def test_the_same_request_sent_twice_at_once_redeems_once(
    crm: Crm, ledger: LedgerKit, new_party: Any
) -> None:
    member_id = ledger.member(new_party(), 1000)
    start = threading.Barrier(8)
    made: list[int] = []
    lock = threading.Lock()

    def redeem() -> None:
        start.wait()
        with crm.transaction() as tx:
            done = redemptions.redeem(tx, member_id, points=COST, reference="the-same")
        with lock:
            made.append(done.id)

    threads = [threading.Thread(target=redeem) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(made) == 8 and len(set(made)) == 1
    assert ledger.balance(member_id) == 1000 - COST
    ledger.assert_balances()


def test_concurrent_enrolments_of_one_party_make_one_membership_and_say_so_once(
    crm: Crm, ledger: LedgerKit, new_party: Any
) -> None:
    from crmkit_loyalty.ledger import service

    party = new_party()
    start = threading.Barrier(8)
    answers: list[tuple[int, bool]] = []
    lock = threading.Lock()

    def enrol() -> None:
        start.wait()
        with crm.transaction() as tx:
            found, made = service.enrolment(tx, ledger.programme.id, party)
        with lock:
            answers.append((found.id, made))

    threads = [threading.Thread(target=enrol) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({member_id for member_id, _ in answers}) == 1
    assert [made for _, made in answers].count(True) == 1
