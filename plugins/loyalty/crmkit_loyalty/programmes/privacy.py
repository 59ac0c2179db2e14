"""The programmes part's rows about a party: none.

Programmes, rules, tiers and rewards are about the programme, never a party; a member's
tier and its history (``loyalty_tier_change``) are the ledger part's rows and handled there.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from crmkit import Transaction


def move_to_survivor(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    """Nothing to move: the part holds no row about a party."""


def export_of(conn: Connection, party_id: int) -> dict[str, Any]:
    """Nothing: the part holds no row about a party."""
    return {}


def erase(tx: Transaction, party_id: int) -> None:
    """Nothing to erase: the part holds no row about a party."""
