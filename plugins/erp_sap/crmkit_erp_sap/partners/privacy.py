"""What the partners part holds on a party: merges, exports and erasure.

The customer's sales areas move with the party on a merge, are exported with their partner
and are deleted on erasure. On erasure the partner's row stays without its party (number and a hash, no personal
data): a later pull then knows the partner's party was erased and does not create it
again from SAP; erasing the person in SAP is SAP's own process.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, update

from crmkit import Transaction
from crmkit_erp_sap.partners.linked import business_partners_of
from crmkit_erp_sap.partners.tables import partner, sales_area


def move_to_survivor(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    for table in (partner, sales_area):
        tx.conn.execute(
            update(table).where(table.c.party_id == merged_id).values(party_id=survivor_id)
        )


def export_of(conn: Connection, party_id: int) -> dict[str, Any]:
    return {"business_partners": [bp.as_json() for bp in business_partners_of(conn, party_id)]}


def erase(tx: Transaction, party_id: int) -> None:
    tx.conn.execute(delete(sales_area).where(sales_area.c.party_id == party_id))
    tx.conn.execute(update(partner).where(partner.c.party_id == party_id).values(party_id=None))
