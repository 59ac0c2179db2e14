"""The ledger on a merge, an export and an erasure: points move, never appear or vanish."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from crmkit_loyalty.ledger import redemptions, service
from crmkit_loyalty.ledger.tables import entry, lot, member, redemption
from sqlalchemy import select

from crmkit import Crm, erase_party, export_party, merge_parties, utcnow

if TYPE_CHECKING:
    from conftest import LedgerKit, LedgerProgramme


def test_a_merged_partys_membership_moves_to_a_survivor_without_one(
    crm: Crm, ledger: LedgerKit, ledger_programme: LedgerProgramme, new_party: Any
) -> None:
    survivor, merged = new_party(), new_party(emails=["ada.l@example.org"])
    member_id = ledger.member(merged, 300)
    with crm.transaction() as tx:
        merge_parties(tx, survivor, merged)
    with crm.read() as conn:
        found = service.member_of(conn, ledger_programme.id, survivor)
    assert found is not None and (found.id, found.balance) == (member_id, 300)
    ledger.assert_balances()


def test_where_both_are_members_the_points_move_lot_by_lot_and_the_merged_member_closes(
    crm: Crm, ledger: LedgerKit, ledger_programme: LedgerProgramme, new_party: Any
) -> None:
    survivor, merged = new_party(), new_party(emails=["ada.l@example.org"])
    kept = ledger.member(survivor, 100)
    gone = ledger.member(merged, 200, 300)
    soon = utcnow() + timedelta(days=20)
    ledger.set_expiry(gone, "e0", soon)
    with crm.transaction() as tx:
        redemptions.redeem(tx, gone, points=50, reference="r")  # from e0, expiring soonest
    with crm.transaction() as tx:
        merge_parties(tx, survivor, merged)
    assert ledger.balance(kept) == 550
    assert ledger.balance(gone) == 0
    with crm.read() as conn:
        closed = conn.execute(
            select(member.c.status, member.c.party_id).where(member.c.id == gone)
        ).one()
        moved = conn.execute(
            select(entry.c.points, entry.c.source, entry.c.kind)
            .where(entry.c.member_id == kept, entry.c.source == "merge")
            .order_by(entry.c.id)
        ).all()
        expiries = conn.execute(
            select(lot.c.remaining, lot.c.expires_at)
            .where(lot.c.member_id == kept)
            .order_by(lot.c.entry_id)
        ).all()
    assert tuple(closed) == ("closed", None)  # the merged party is gone
    assert [tuple(m) for m in moved] == [(150, "merge", "adjust"), (300, "merge", "adjust")]
    assert abs(expiries[1].expires_at - soon) < timedelta(seconds=1)  # the lot keeps its expiry
    ledger.assert_balances()


def test_an_export_lists_memberships_entries_and_redemptions(
    crm: Crm, ledger: LedgerKit, new_party: Any
) -> None:
    party = new_party()
    member_id = ledger.member(party, 300)
    with crm.transaction() as tx:
        redemptions.redeem(tx, member_id, points=100, reference="r", note="At the Berlin store")
    with crm.read() as conn:
        exported = export_party(conn, crm.host, party)["loyalty"]["memberships"]
    assert [(m["balance"], len(m["entries"])) for m in exported] == [(200, 2)]
    assert exported[0]["redemptions"][0]["note"] == "At the Berlin store"


def test_an_erasure_keeps_the_ledger_but_not_who_it_was(
    crm: Crm, ledger: LedgerKit, new_party: Any
) -> None:
    party = new_party()
    member_id = ledger.member(party, 300)
    with crm.transaction() as tx:
        redemptions.redeem(tx, member_id, points=100, reference="r", note="Ada at the desk")
    with crm.transaction() as tx:
        erase_party(tx, party)
    with crm.read() as conn:
        kept = conn.execute(
            select(member.c.party_id, member.c.balance).where(member.c.id == member_id)
        ).one()
        notes = list(conn.execute(select(redemption.c.note)).scalars())
    assert tuple(kept) == (None, 200)
    assert notes == [None]
    ledger.assert_balances()


def test_after_a_merge_the_survivors_export_and_erasure_reach_the_closed_member(
    crm: Crm, ledger: LedgerKit, new_party: Any
) -> None:
    survivor, merged = new_party(), new_party(emails=["ada.l@example.org"])
    kept = ledger.member(survivor, 100)
    gone = ledger.member(merged, 300)
    with crm.transaction() as tx:
        redemptions.redeem(tx, gone, points=20, reference="r", note="Ada's secret note")
    with crm.transaction() as tx:
        merge_parties(tx, survivor, merged)

    with crm.read() as conn:
        exported = export_party(conn, crm.host, survivor)["loyalty"]["memberships"]
    assert [(m["status"], m["balance"]) for m in exported] == [("active", 380), ("closed", 0)]
    closed = exported[1]
    assert [r["note"] for r in closed["redemptions"]] == ["Ada's secret note"]
    assert [e["source"] for e in closed["entries"]] == ["test", "redemption", "merge"]

    with crm.transaction() as tx:
        erase_party(tx, survivor)
    with crm.read() as conn:
        notes = list(conn.execute(select(redemption.c.note)).scalars())
        parties = conn.execute(select(member.c.party_id).where(member.c.id.in_((kept, gone)))).all()
    assert notes == [None]
    assert [tuple(p) for p in parties] == [(None,), (None,)]
    ledger.assert_balances()


def test_a_member_closed_by_an_earlier_merge_follows_the_next_one(
    crm: Crm, ledger: LedgerKit, new_party: Any
) -> None:
    first, second, third = (new_party(emails=[f"p{i}@example.org"]) for i in range(3))
    ledger.member(first, 10)
    ledger.member(second, 20)
    oldest = ledger.member(third, 30)
    with crm.transaction() as tx:
        redemptions.redeem(tx, oldest, points=5, reference="r", note="kept about the third")
    with crm.transaction() as tx:
        merge_parties(tx, second, third)
    with crm.transaction() as tx:
        merge_parties(tx, first, second)
    with crm.read() as conn:
        exported = export_party(conn, crm.host, first)["loyalty"]["memberships"]
    assert [(m["status"], m["balance"]) for m in exported] == [
        ("active", 55),
        ("closed", 0),
        ("closed", 0),
    ]
    assert exported[2]["redemptions"][0]["note"] == "kept about the third"
