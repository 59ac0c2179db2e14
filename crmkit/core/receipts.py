"""Receipts of signed requests: each id is taken once per source while its signature could pass.

A receipt is claimed in the database, so that a replay is refused by every
process of the CRM and after a restart, and two copies of a request arriving at
the same moment are not both taken: the second insert finds the first's row.
A receipt lasts until the request's signed timestamp falls out of the accepted
window; a replay arriving later is refused for its timestamp instead.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite

from crmkit.core.db import Transaction
from crmkit.core.tables import signed_receipt


def _insert(dialect: str) -> Any:
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(signed_receipt)


def claim_receipt(
    tx: Transaction, source: str, message_id: str, now: datetime, expires_at: datetime
) -> bool:
    """Take ``message_id`` of ``source`` for this request; False when it has been taken already."""
    tx.conn.execute(
        delete(signed_receipt).where(
            signed_receipt.c.source == source,
            signed_receipt.c.message_id == message_id,
            signed_receipt.c.expires_at <= now,
        )
    )
    row = {"source": source, "message_id": message_id, "received_at": now, "expires_at": expires_at}
    insert = _insert(tx.conn.dialect.name).values(row).on_conflict_do_nothing()
    # RETURNING rather than the row count, which psycopg does not report for ON CONFLICT.
    return tx.conn.execute(insert.returning(signed_receipt.c.message_id)).first() is not None


def release_receipt(tx: Transaction, source: str, message_id: str) -> None:
    """Give ``message_id`` back: the request failed, and the sender's retry is to be taken."""
    tx.conn.execute(
        delete(signed_receipt).where(
            signed_receipt.c.source == source, signed_receipt.c.message_id == message_id
        )
    )


def prune_receipts(tx: Transaction, now: datetime) -> None:
    """Delete the receipts no replay can need any more."""
    tx.conn.execute(delete(signed_receipt).where(signed_receipt.c.expires_at <= now))
