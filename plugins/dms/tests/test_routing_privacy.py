"""A lead's assignments follow a merge, are in its export, and are anonymised on erasure."""

from __future__ import annotations

from typing import Any

from crmkit_dms.routing.tables import assignment
from sqlalchemy import select

from crmkit import Crm, erase_party, export_party, merge_parties


def rows(crm: Crm) -> dict[int, Any]:
    with crm.read() as conn:
        return {row.id: row for row in conn.execute(select(assignment))}


def test_a_merge_moves_the_assignments_and_keeps_one_open(
    crm: Crm, network: Any, route: Any, new_party: Any
) -> None:
    survivor, merged = new_party("prospect"), new_party("prospect")
    kept = route(survivor)
    moved = route(merged, postcode="80331")
    with crm.transaction() as tx:
        merge_parties(tx, survivor, merged)
    found = rows(crm)
    assert {found[kept.id].party_id, found[moved.id].party_id} == {survivor}
    assert found[kept.id].closed_at is None
    assert (found[moved.id].closed_at is not None, found[moved.id].reason) == (True, "merged")


def test_the_export_holds_the_leads_assignments(
    crm: Crm, network: Any, route: Any, new_party: Any
) -> None:
    lead = new_party("prospect")
    routed = route(lead, vehicle={"make": "VW", "model": "Golf"})
    with crm.read() as conn:
        exported = export_party(conn, crm.host, lead)
    (item,) = exported["dms"]["assignments"]
    assert (item["id"], item["vehicle"], item["postcode"]) == (
        routed.id,
        {"make": "VW", "model": "Golf"},
        "10115",
    )


def test_erasure_anonymises_the_assignments_and_closes_the_open_one(
    crm: Crm, network: Any, route: Any, new_party: Any
) -> None:
    lead = new_party("prospect")
    routed = route(lead, vehicle={"make": "VW"})
    with crm.transaction() as tx:
        erase_party(tx, lead)
    row = rows(crm)[routed.id]
    assert (row.party_id, row.postcode, row.vehicle, row.reason) == (None, None, None, None)
    assert row.closed_at is not None
    assert row.partner_id == routed.partner_id  # the partner's figures keep the offer
