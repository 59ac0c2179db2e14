"""A profile is derived from the party's purchases: merged parties lose the merged one's profile
(the next run profiles the survivor with both parties' purchases), erased parties lose theirs,
and the export carries it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, select

from crmkit import Transaction
from crmkit_analytics.profiles.tables import profile


def move_to_survivor(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    tx.conn.execute(delete(profile).where(profile.c.party_id == merged_id))


def erase(tx: Transaction, party_id: int) -> None:
    tx.conn.execute(delete(profile).where(profile.c.party_id == party_id))


def export_of(conn: Connection, party_id: int) -> dict[str, Any]:
    row = conn.execute(select(profile).where(profile.c.party_id == party_id)).mappings().first()
    if row is None:
        return {}
    return {
        "profile": {
            key: (value.isoformat() if hasattr(value, "isoformat") else value)
            for key, value in row.items()
            if key != "party_id"
        }
    }
