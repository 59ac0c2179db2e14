"""What the idoc part holds on a party: nothing of its own.

The IDoc file list keeps file names, counts and SAP document numbers, never a party; what a
file did to a party (its data, the orders on its timeline) is the kernel's and the partners
part's, and they merge, export and erase it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from crmkit import Transaction


def move_to_survivor(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    """Nothing to move: no idoc row names a party."""


def export_of(conn: Connection, party_id: int) -> dict[str, Any]:
    """Nothing to export: no idoc row names a party."""
    return {}


def erase(tx: Transaction, party_id: int) -> None:
    """Nothing to erase: no idoc row names a party."""
