"""The results part's rows about a party (its responses): exported, erased and moved on a merge.

Costs are about a campaign, not a party. Member rows are the campaigns part's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, select, update

from crmkit import Transaction
from crmkit_campaigns.results.tables import response


def export_of(conn: Connection, party_id: int) -> dict[str, Any]:
    """The party's responses to campaigns, oldest first."""
    rows = conn.execute(
        select(
            response.c.campaign_id,
            response.c.via,
            response.c.message,
            response.c.consents,
            response.c.received_at,
        )
        .where(response.c.party_id == party_id)
        .order_by(response.c.id)
    ).mappings()
    return {"responses": [{**r, "received_at": r["received_at"].isoformat()} for r in rows]}


def erase(tx: Transaction, party_id: int) -> None:
    """Delete the party's responses (what they wrote goes with them)."""
    tx.conn.execute(delete(response).where(response.c.party_id == party_id))


def move_to_survivor(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    """The merged party's responses become the survivor's, so attribution follows the person."""
    tx.conn.execute(
        update(response).where(response.c.party_id == merged_id).values(party_id=survivor_id)
    )
