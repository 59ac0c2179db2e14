"""What the formats part holds on a party: the documents its lead came in or went out in.

A document's kept body holds the person's data as sent, so erasure empties the body of every
document the party was a lead of, and an export not yet sent is given up.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update

from crmkit import Transaction
from crmkit_dms.formats.tables import document, document_lead

ERASED = "erased"


def move_to_survivor(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    tx.conn.execute(
        update(document_lead)
        .where(document_lead.c.party_id == merged_id)
        .values(party_id=survivor_id)
    )


def export_of(conn: Connection, party_id: int) -> dict[str, Any]:
    rows = conn.execute(
        select(
            document.c.id,
            document.c.format,
            document.c.direction,
            document.c.source,
            document.c.received_at,
            document_lead.c.position,
        )
        .join(document_lead, document_lead.c.document_id == document.c.id)
        .where(document_lead.c.party_id == party_id)
        .order_by(document.c.id)
    )
    return {
        "documents": [
            {
                "document_id": row.id,
                "format": row.format,
                "direction": row.direction,
                "source": row.source,
                "received_at": row.received_at.isoformat(),
                "position": row.position,
            }
            for row in rows
        ]
    }


def erase(tx: Transaction, party_id: int) -> None:
    of_party = select(document_lead.c.document_id).where(document_lead.c.party_id == party_id)
    tx.conn.execute(
        update(document)
        .where(document.c.id.in_(of_party), document.c.status == "pending")
        .values(status="failed", error=ERASED, next_attempt_at=None)
    )
    tx.conn.execute(update(document).where(document.c.id.in_(of_party)).values(body=""))
    tx.conn.execute(document_lead.delete().where(document_lead.c.party_id == party_id))
