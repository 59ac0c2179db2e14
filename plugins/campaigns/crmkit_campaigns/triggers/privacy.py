"""The triggers part's rows about a party: none.

A trigger run records how many members it entered, never whom (the members are the campaigns
part's rows): the part keeps nothing about a party to export, erase or move.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from crmkit import Transaction


def export_of(conn: Connection, party_id: int) -> dict[str, Any]:
    """Nothing: the part holds no row about a party."""
    return {}


def erase(tx: Transaction, party_id: int) -> None:
    """Nothing to erase: the part holds no row about a party."""


def move_to_survivor(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    """Nothing to move: the part holds no row about a party."""
