"""What the orders part holds on a party: its orders' pushes (ids, SAP numbers, statuses)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, select, update

from crmkit import Transaction
from crmkit_erp_sap.orders.tables import order_push


def move_to_survivor(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    tx.conn.execute(
        update(order_push).where(order_push.c.party_id == merged_id).values(party_id=survivor_id)
    )


def export_of(conn: Connection, party_id: int) -> dict[str, Any]:
    rows = conn.execute(
        select(
            order_push.c.order_id,
            order_push.c.system,
            order_push.c.state,
            order_push.c.reference,
            order_push.c.sap_order,
            order_push.c.erp_status,
        )
        .where(order_push.c.party_id == party_id)
        .order_by(order_push.c.id)
    )
    return {"order_pushes": [row._asdict() for row in rows]}


def erase(tx: Transaction, party_id: int) -> None:
    # SAP keeps its copy; ours goes, and an order not yet sent is not sent any more.
    tx.conn.execute(delete(order_push).where(order_push.c.party_id == party_id))
