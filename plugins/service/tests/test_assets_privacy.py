"""Assets, contracts and visits follow their party on merge, are in its export and go on its erasure."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from crmkit_service.assets.service import create_asset, create_contract, update_contract
from crmkit_service.assets.tables import asset, contract, contract_visit
from crmkit_service.cases.service import open_case
from crmkit_service.dispatch import service
from crmkit_service.dispatch.tables import dispatch
from crmkit_service.dispatch.technicians import create_technician
from sqlalchemy import func, select

from crmkit import Crm, audit_history, erase_party, export_party, merge_parties, utcnow

VIN = "1M8GDM9AXKP042788"


@pytest.fixture
def customer(crm: Crm, staff: Any, new_party: Any) -> int:
    """A customer with a van, a contract and a visit done under it."""
    party = new_party()
    with crm.transaction(staff.manager) as tx:
        van = create_asset(tx, {"party_id": party, "product": "Van", "vin": VIN})
        create_contract(
            tx,
            {
                "party_id": party,
                "asset_id": van.id,
                "reference": "SC-1",
                "starts_on": "2020-01-01",
                "ends_on": "2099-12-31",
                "visits_included": 3,
            },
        )
        who = create_technician(
            tx,
            {
                "name": "Bert",
                "territories": ["DE"],
                "windows": [
                    {"weekday": d, "starts": "00:00", "ends": "23:59"} for d in range(1, 8)
                ],
            },
            default_zone="UTC",
            region="DE",
        )
        case = open_case(
            tx, {"party_id": party, "subject": "Van does not start", "asset_id": van.id}
        )
        start = (utcnow() + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
        visit = service.create_dispatch(
            tx,
            case,
            {
                "scheduled_start": start.isoformat(),
                "technician_id": who.id,
                "instructions": "Ring twice at Unter den Linden 1",
            },
        )
        service.change_status(tx, visit.id, "on_site")
        service.change_status(tx, visit.id, "done", report="Battery replaced")
    return party


def count(crm: Crm, table: Any, party_id: int) -> int:
    with crm.read() as conn:
        return conn.execute(
            select(func.count()).select_from(table).where(table.c.party_id == party_id)
        ).scalar_one()


def test_the_export_holds_assets_contracts_with_visits_and_dispatches(
    crm: Crm, customer: int
) -> None:
    with crm.read() as conn:
        exported = export_party(conn, crm.host, customer)
    mine = exported["service"]
    assert [a["vin"] for a in mine["assets"]] == [VIN]
    assert [c["visits_used"] for c in mine["contracts"]] == [1]
    assert len(mine["contracts"][0]["visits"]) == 1
    assert [d["report"] for d in mine["dispatches"]] == ["Battery replaced"]
    json.dumps(exported)  # JSON-ready


def test_a_merge_moves_them_to_the_survivor(crm: Crm, customer: int, new_party: Any) -> None:
    survivor = new_party(last_name="Byron")
    with crm.transaction() as tx:
        merge_parties(tx, survivor, customer)
    assert (count(crm, asset, survivor), count(crm, contract, survivor)) == (1, 1)
    assert count(crm, dispatch, survivor) == 1


def test_an_erasure_deletes_them_and_the_trail_never_held_the_vin(crm: Crm, customer: int) -> None:
    with crm.read() as conn:
        asset_id = conn.execute(select(asset.c.id)).scalar_one()
    with crm.transaction() as tx:
        erase_party(tx, customer)
    assert count(crm, asset, customer) == count(crm, contract, customer) == 0
    assert count(crm, dispatch, customer) == 0
    with crm.read() as conn:
        assert conn.execute(select(func.count()).select_from(contract_visit)).scalar_one() == 0
        trail = audit_history(conn, "service.asset", asset_id)
    assert [e.action for e in trail] == ["created"]
    assert VIN not in json.dumps([e.changes for e in trail], default=str)


def test_an_erasure_leaves_the_trail_of_assets_and_contracts_without_their_values(
    crm: Crm, customer: int
) -> None:
    with crm.read() as conn:
        asset_id = conn.execute(select(asset.c.id)).scalar_one()
        contract_id = conn.execute(select(contract.c.id)).scalar_one()
    with crm.transaction() as tx:
        update_contract(tx, contract_id, {"reference": "SC-ADA-LOVELACE"}, None)
        erase_party(tx, customer)
    with crm.read() as conn:
        trail = [
            *audit_history(conn, "service.asset", asset_id),
            *audit_history(conn, "service.contract", contract_id),
        ]
    # Who changed which record when stays; what the records said goes with the person.
    assert sorted(e.action for e in trail) == ["created", "created", "updated"]
    assert all(e.changes == {} for e in trail)
