"""The segments part's rows about a party: its memberships of static and suppression lists.

Exported with the party, erased with it (a suppression list keeps no trace of an erased
party: erasure is no reason to mail them again, but their address goes with them), and
moved to the survivor on a merge.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, select

from crmkit import Transaction
from crmkit_campaigns.segments.tables import list_member, party_list


def export_of(conn: Connection, party_id: int) -> dict[str, Any]:
    """The lists the party is on."""
    rows = conn.execute(
        select(party_list.c.id, party_list.c.kind, party_list.c.name, list_member.c.added_at)
        .join(list_member, list_member.c.list_id == party_list.c.id)
        .where(list_member.c.party_id == party_id)
        .order_by(party_list.c.id)
    )
    return {
        "lists": [
            {"id": r.id, "kind": r.kind, "name": r.name, "added_at": r.added_at.isoformat()}
            for r in rows
        ]
    }


def erase(tx: Transaction, party_id: int) -> None:
    """Take the party off every list."""
    tx.conn.execute(delete(list_member).where(list_member.c.party_id == party_id))


def move_to_survivor(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    """Put the survivor on every list the merged party was on (once), the merged party off."""
    survivor_lists = select(list_member.c.list_id).where(list_member.c.party_id == survivor_id)
    moved = tx.conn.execute(
        select(list_member.c.list_id, list_member.c.added_at).where(
            list_member.c.party_id == merged_id, list_member.c.list_id.not_in(survivor_lists)
        )
    ).all()
    tx.conn.execute(delete(list_member).where(list_member.c.party_id == merged_id))
    if moved:
        tx.conn.execute(
            list_member.insert(),
            [
                {"list_id": r.list_id, "party_id": survivor_id, "added_at": r.added_at}
                for r in moved
            ],
        )
