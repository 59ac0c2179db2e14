"""Purchases follow their party: a merged party's purchases move to the survivor (its stored
value goes; the next fit values the survivor with both histories), an erased party's
purchases and value are deleted, and the export carries both."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, select, update

from crmkit import Transaction
from crmkit_analytics.transactions.tables import clv, purchase


def move_to_survivor(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    tx.conn.execute(
        update(purchase).where(purchase.c.party_id == merged_id).values(party_id=survivor_id)
    )
    tx.conn.execute(delete(clv).where(clv.c.party_id == merged_id))


def erase(tx: Transaction, party_id: int) -> None:
    tx.conn.execute(delete(clv).where(clv.c.party_id == party_id))
    tx.conn.execute(delete(purchase).where(purchase.c.party_id == party_id))


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def export_of(conn: Connection, party_id: int) -> dict[str, Any]:
    purchases = [
        {key: _plain(value) for key, value in row.items() if key not in ("id", "party_id")}
        for row in conn.execute(
            select(purchase)
            .where(purchase.c.party_id == party_id)
            .order_by(purchase.c.occurred_at, purchase.c.id)
        ).mappings()
    ]
    value = conn.execute(select(clv).where(clv.c.party_id == party_id)).mappings().first()
    found: dict[str, Any] = {}
    if purchases:
        found["purchases"] = purchases
    if value is not None:
        found["value"] = {k: _plain(v) for k, v in value.items() if k != "party_id"}
    return found
