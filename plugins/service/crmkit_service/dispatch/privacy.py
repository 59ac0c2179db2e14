"""A party's visits on merge, export and erasure."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, update

from crmkit import Transaction
from crmkit_service.assets.privacy import json_ready
from crmkit_service.dispatch.service import dispatches_of_party
from crmkit_service.dispatch.tables import dispatch


def move_to_survivor(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    """The merged party's visits are the survivor's, as their cases are."""
    tx.conn.execute(
        update(dispatch).where(dispatch.c.party_id == merged_id).values(party_id=survivor_id)
    )


def export_of(conn: Connection, party_id: int) -> dict[str, Any]:
    """The party's visits: site, slot, status times, report."""
    return {"dispatches": [json_ready(d) for d in dispatches_of_party(conn, party_id)]}


def erase(tx: Transaction, party_id: int) -> None:
    """Delete the party's visits (their addresses and reports are about the person)."""
    tx.conn.execute(delete(dispatch).where(dispatch.c.party_id == party_id))
