"""Earning: an entry, a lot that expires as the programme says, the balance; once per reference."""

from __future__ import annotations

from datetime import timedelta

import pytest
from crmkit_loyalty.ledger import service
from crmkit_loyalty.ledger.tables import lot
from crmkit_loyalty.programmes.tables import programme
from sqlalchemy import select, update

from crmkit import ConflictError, Crm, utcnow


def test_earn_adds_a_lot_and_the_balance_once_per_reference(
    crm: Crm, ledger_programme, new_party
) -> None:
    party = new_party()
    with crm.transaction() as tx:
        member = service.enrol(tx, ledger_programme.id, party)
        first = service.earn(tx, member.id, 120, source="sfa.order", reference="17")
        again = service.earn(tx, member.id, 120, source="sfa.order", reference="17")
    assert first is not None and again is None
    with crm.read() as conn:
        found = service.member_of(conn, ledger_programme.id, party)
        lots = conn.execute(select(lot)).all()
    assert found is not None and found.balance == 120 and found.lifetime_points == 120
    assert [(r.remaining, r.member_id) for r in lots] == [(120, member.id)]
    assert abs(lots[0].expires_at - (utcnow() + timedelta(days=365))) < timedelta(days=2)


def test_a_closed_programme_earns_nothing(crm: Crm, ledger, ledger_programme, new_party) -> None:
    member_id = ledger.member(new_party(), 100)
    with crm.transaction() as tx:
        tx.conn.execute(
            update(programme).where(programme.c.id == ledger_programme.id).values(status="closed")
        )
    before = ledger.snapshot()
    with pytest.raises(ConflictError, match="closed"), crm.transaction() as tx:
        service.earn(tx, member_id, 50, source="test", reference="late")
    assert ledger.snapshot() == before
