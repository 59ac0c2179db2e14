"""A party's quotations and orders when parties are merged, exported or erased.

On erasure the rows themselves go with the party and its opportunities
(foreign keys that cascade); what stays elsewhere is the customer in the
payloads of ``sfa.order_placed`` events, forgotten here.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import attrs
from sqlalchemy import Connection, select, update

from crmkit import Transaction, forget_event_payloads
from crmkit_sfa.quotes.orders import get_order
from crmkit_sfa.quotes.quotations import get_quotation
from crmkit_sfa.quotes.tables import order, quotation


def move_to_survivor(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    """The merged party's quotations and orders become the survivor's."""
    for table in (quotation, order):
        tx.conn.execute(
            update(table).where(table.c.party_id == merged_id).values(party_id=survivor_id)
        )


def _json_ready(record: Any) -> dict[str, Any]:
    def plain(_: Any, __: Any, value: Any) -> Any:
        # Dates and timestamps as ISO 8601, amounts as exact strings: as the API renders them.
        if isinstance(value, date):
            return value.isoformat()
        return str(value) if isinstance(value, Decimal) else value

    return attrs.asdict(record, value_serializer=plain)


def export_of(conn: Connection, party_id: int) -> dict[str, Any]:
    """Every quotation version and order of the party, with their lines, as JSON-ready data."""
    quoted = conn.execute(
        select(quotation.c.id).where(quotation.c.party_id == party_id).order_by(quotation.c.id)
    ).scalars()
    ordered = conn.execute(
        select(order.c.id).where(order.c.party_id == party_id).order_by(order.c.id)
    ).scalars()
    return {
        "quotations": [_json_ready(get_quotation(conn, i)) for i in quoted.all()],
        "orders": [_json_ready(get_order(conn, i)) for i in ordered.all()],
    }


def forget_orders(tx: Transaction, party_id: int) -> None:
    """Strip the party's data from the events about its orders (before the orders are deleted)."""
    placed = tx.conn.execute(select(order.c.id).where(order.c.party_id == party_id)).scalars()
    forget_event_payloads(tx, "sfa.order", placed.all())
