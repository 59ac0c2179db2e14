"""A party's assets and contracts on merge, export and erasure."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from attrs import asdict
from sqlalchemy import Connection, delete, select, update

from crmkit import Transaction, forget_audit_changes
from crmkit_service.assets.service import assets_of_party, contracts_of_party
from crmkit_service.assets.tables import asset, contract, contract_visit


def json_ready(record: Any) -> dict[str, Any]:
    """The attrs record as JSON-ready data: dates and times in ISO 8601."""

    def plain(_: object, __: object, value: Any) -> Any:
        return value.isoformat() if isinstance(value, date | datetime) else value

    return asdict(record, value_serializer=plain)


def move_to_survivor(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    """The merged party's assets and contracts are the survivor's."""
    for table in (asset, contract):
        tx.conn.execute(
            update(table).where(table.c.party_id == merged_id).values(party_id=survivor_id)
        )


def export_of(conn: Connection, party_id: int) -> dict[str, Any]:
    """The party's assets, and its contracts with the dates of the visits used."""
    contracts = []
    for item in contracts_of_party(conn, party_id):
        visits = conn.execute(
            select(contract_visit.c.visited_at)
            .where(contract_visit.c.contract_id == item.id)
            .order_by(contract_visit.c.visited_at)
        ).scalars()
        contracts.append({**json_ready(item), "visits": [v.isoformat() for v in visits]})
    return {
        "assets": [json_ready(a) for a in assets_of_party(conn, party_id)],
        "contracts": contracts,
    }


def erase(tx: Transaction, party_id: int) -> None:
    """Delete the party's contracts (with their visits) and assets, and empty their audit trail."""
    for entity, table in (("service.contract", contract), ("service.asset", asset)):
        ids = tx.conn.execute(select(table.c.id).where(table.c.party_id == party_id)).scalars()
        forget_audit_changes(tx, entity, list(ids))
    tx.conn.execute(delete(contract).where(contract.c.party_id == party_id))
    tx.conn.execute(delete(asset).where(asset.c.party_id == party_id))
