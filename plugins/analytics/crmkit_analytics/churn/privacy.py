"""A risk score is derived: a merged party's goes (the next run scores the survivor with both
parties' purchases), an erased party's goes, and the export carries it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, select

from crmkit import Transaction
from crmkit_analytics.churn.tables import risk


def move_to_survivor(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    tx.conn.execute(delete(risk).where(risk.c.party_id == merged_id))


def erase(tx: Transaction, party_id: int) -> None:
    tx.conn.execute(delete(risk).where(risk.c.party_id == party_id))


def export_of(conn: Connection, party_id: int) -> dict[str, Any]:
    row = conn.execute(select(risk).where(risk.c.party_id == party_id)).first()
    if row is None:
        return {}
    return {
        "churn_risk": {
            "score": row.score,
            "reasons": [reason["text"] for reason in row.reasons],
            "computed_at": row.computed_at.isoformat(),
        }
    }
