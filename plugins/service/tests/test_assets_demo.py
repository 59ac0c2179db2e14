"""The demo's assets, contracts and technicians: valid records the services and pages work with."""

from __future__ import annotations

from typing import Any

from crmkit_service.assets.entitlement import entitlement_of
from crmkit_service.assets.identifiers import read_serial_number
from crmkit_service.assets.service import contracts_of_party
from crmkit_service.assets.tables import asset, contract
from crmkit_service.dispatch.technicians import list_technicians
from sqlalchemy import select

from crmkit import Crm, read_vin, utcnow
from crmkit.testing import seed_demo_data


def test_the_demo_seeds_valid_assets_contracts_and_technicians(make_service: Any) -> None:
    crm: Crm = make_service()
    now = utcnow().replace(microsecond=0)
    seed_demo_data(crm, customers=150, prospects=20, now=now)
    with crm.read() as conn:
        assets = conn.execute(select(asset)).all()
        contracts = conn.execute(select(contract.c.party_id)).scalars().all()
        states = {entitlement_of(conn, a.party_id, a.id).state for a in assets}
        used = [
            c.visits_used <= c.visits_included
            for p in contracts
            for c in contracts_of_party(conn, p)
        ]
        people = list_technicians(conn)
    assert len(assets) > 20 and contracts and all(used)
    for row in assets:
        if row.vin:
            assert read_vin("vin", row.vin).text == row.vin
        else:
            assert read_serial_number("serial_number", row.serial_number) == row.serial_number
    assert "in_warranty" in states and states & {"out_of_warranty", "contract"}
    assert any(p.kind == "partner" for p in people) and all(p.windows for p in people)
