"""What the conversations part holds on a party: its threads with connected pages and their
messages. Merging moves them to the survivor; the export lists them; erasure deletes them
(the page-scoped ids linked to the party go with the kernel's external ids)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, select, update

from crmkit import Transaction
from crmkit_social.conversations.tables import conversation_table, message_table


def move_to_survivor(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    for table in (conversation_table, message_table):
        tx.conn.execute(
            update(table).where(table.c.party_id == merged_id).values(party_id=survivor_id)
        )


def export_of(conn: Connection, party_id: int) -> dict[str, Any]:
    c, m = conversation_table, message_table
    threads = conn.execute(select(c).where(c.c.party_id == party_id).order_by(c.c.id)).all()
    if not threads:
        return {}
    messages = conn.execute(select(m).where(m.c.party_id == party_id).order_by(m.c.id)).all()
    return {
        "conversations": [
            {
                "id": t.id,
                "platform": t.platform,
                "page_id": t.page_id,
                "sender_id": t.sender_id,
                "sender_name": t.sender_name,
                "messages": [
                    {
                        "direction": r.direction,
                        "kind": r.kind,
                        "text": r.text,
                        "occurred_at": r.occurred_at.isoformat(),
                        "external_id": r.external_id,
                    }
                    for r in messages
                    if r.conversation_id == t.id
                ],
            }
            for t in threads
        ]
    }


def erase(tx: Transaction, party_id: int) -> None:
    tx.conn.execute(delete(message_table).where(message_table.c.party_id == party_id))
    tx.conn.execute(delete(conversation_table).where(conversation_table.c.party_id == party_id))
