"""A party's messages (emails, SMS sent and received) when the party is merged, exported or erased."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, delete, select, update

from crmkit import Transaction
from crmkit_channels.inbound_tables import inbound_email
from crmkit_channels.tables import email, sms, sms_received

EXPORTED: dict[str, tuple[Table, tuple[str, ...]]] = {
    "emails": (
        email,
        (
            "id",
            "purpose",
            "transactional",
            "recipient",
            "subject",
            "message_id",
            "status",
            "created_at",
            "finished_at",
        ),
    ),
    "sms": (
        sms,
        (
            "id",
            "purpose",
            "transactional",
            "recipient",
            "body",
            "segments",
            "sid",
            "status",
            "created_at",
            "finished_at",
        ),
    ),
    "sms_received": (sms_received, ("id", "sid", "sender", "body", "received_at")),
    "emails_received": (
        inbound_email,
        ("id", "message_id", "sender", "subject", "text", "auto_reply", "received_at"),
    ),
}


def move_to_survivor(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    for table, _ in EXPORTED.values():
        tx.conn.execute(
            update(table).where(table.c.party_id == merged_id).values(party_id=survivor_id)
        )


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def export_of(conn: Connection, party_id: int) -> dict[str, Any]:
    exported: dict[str, Any] = {}
    for key, (table, columns) in EXPORTED.items():
        rows = conn.execute(
            select(*(table.c[name] for name in columns))
            .where(table.c.party_id == party_id)
            .order_by(table.c.id)
        )
        exported[key] = [{k: _plain(v) for k, v in r._mapping.items()} for r in rows]
    return exported


def erase(tx: Transaction, party_id: int) -> None:
    # Queued ones too: an erased party is sent nothing more.
    for table, _ in EXPORTED.values():
        tx.conn.execute(delete(table).where(table.c.party_id == party_id))
