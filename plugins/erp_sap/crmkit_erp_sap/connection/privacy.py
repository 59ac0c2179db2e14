"""What the connection part holds on a party: merges, exports and erasure."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from crmkit import Transaction


def move_to_survivor(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    pass


def export_of(conn: Connection, party_id: int) -> dict[str, Any]:
    return {}


def erase(tx: Transaction, party_id: int) -> None:
    pass
