"""What the definitions part holds on a party: nothing.

Surveys and their versions are written by staff and name no party (their owner and
creator are users), so a merge moves nothing, an export adds nothing and erasing a party
leaves them as they are.
"""

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
