"""A party's messages (emails, SMS sent and received) when the party is merged, exported or erased."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, delete, select, update

from crmkit import Transaction
from crmkit_channels.auto_answer_tables import auto_answer
from crmkit_channels.inbound_tables import inbound_email
from crmkit_channels.suppression import export_suppressions, forget_addresses
from crmkit_channels.tables import email, sms, sms_received
from crmkit_channels.tracking_tables import email_event
from crmkit_channels.transport_tables import transport_message

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
    "email_events": (email_event, ("id", "email_id", "kind", "detail", "occurred_at")),
    "transport_messages": (
        transport_message,
        ("id", "transport", "purpose", "recipient", "body", "receipt", "status", "created_at"),
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
    exported["auto_answers"] = _auto_answers(conn, party_id)
    exported["suppressed_addresses"] = [
        {k: _plain(v) for k, v in entry.items()}
        for entry in export_suppressions(conn, _addresses(conn, party_id))
    ]
    return exported


def _auto_answers(conn: Connection, party_id: int) -> list[dict[str, Any]]:
    """What the auto-answer rules decided for each of the party's inbound emails.

    Erased with the emails they answer (their rows cascade), moved with them on a merge.
    """
    columns = ("id", "inbound_email_id", "sender", "rule", "email_id", "outcome", "decided_at")
    rows = conn.execute(
        select(*(auto_answer.c[name] for name in columns))
        .join(inbound_email, inbound_email.c.id == auto_answer.c.inbound_email_id)
        .where(inbound_email.c.party_id == party_id)
        .order_by(auto_answer.c.id)
    )
    return [{k: _plain(v) for k, v in r._mapping.items()} for r in rows]


def _addresses(conn: Connection, party_id: int) -> set[str]:
    """The addresses the party's emails went to: the ones a suppression entry may name."""
    rows = conn.execute(select(email.c.recipient).where(email.c.party_id == party_id).distinct())
    return set(rows.scalars())


def erase(tx: Transaction, party_id: int) -> None:
    # The suppression list keeps only the hash of the party's addresses: still suppressed.
    forget_addresses(tx, _addresses(tx.conn, party_id))
    # Queued ones too: an erased party is sent nothing more.
    for table, _ in EXPORTED.values():
        tx.conn.execute(delete(table).where(table.c.party_id == party_id))
