"""A party's list memberships are its data: exported, erased, moved on a merge."""

from __future__ import annotations

from typing import Any

from crmkit_campaigns.segments import lists
from crmkit_campaigns.segments.tables import list_member
from sqlalchemy import select

from crmkit import Crm, erase_party, export_party, merge_parties


def members(crm: Crm) -> set[tuple[int, int]]:
    with crm.transaction() as tx:
        rows = tx.conn.execute(select(list_member.c.list_id, list_member.c.party_id))
        return {(r.list_id, r.party_id) for r in rows}


def make_lists(crm: Crm, actor: Any, ids: list[int]) -> tuple[int, int]:
    with crm.transaction(actor) as tx:
        static = lists.create_list(tx, "static", {"name": "Fair"}).id
        suppression = lists.create_list(tx, "suppression", {"name": "Never"}).id
        lists.add_members(tx, static, "static", {"party_ids": ids})
        lists.add_members(tx, suppression, "suppression", {"party_ids": ids[:1]})
    return static, suppression


def test_export_and_erase(crm: Crm, staff: Any, new_party: Any) -> None:
    ada, bob = new_party(), new_party()
    static, suppression = make_lists(crm, staff.marketer, [ada, bob])
    with crm.read() as conn:
        exported = export_party(conn, crm.host, ada)
    on = exported["campaigns"]["lists"]
    assert [(item["id"], item["kind"], item["name"]) for item in on] == [
        (static, "static", "Fair"),
        (suppression, "suppression", "Never"),
    ]
    with crm.transaction() as tx:
        erase_party(tx, ada)
    assert members(crm) == {(static, bob)}


def test_merge_moves_memberships_once(crm: Crm, staff: Any, new_party: Any) -> None:
    survivor, merged = new_party(), new_party(first_name="Adele")
    static, suppression = make_lists(crm, staff.marketer, [merged, survivor])
    with crm.transaction() as tx:
        merge_parties(tx, survivor, merged)
    assert members(crm) == {(static, survivor), (suppression, survivor)}
    with crm.transaction(staff.marketer) as tx:
        assert lists.get_list(tx, static, "static").members == 1
