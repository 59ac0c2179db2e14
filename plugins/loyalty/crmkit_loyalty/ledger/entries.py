"""Appending to the ledger: an entry is written once per (member, source, reference).

The insert itself decides, ``ON CONFLICT DO NOTHING``: a retry, an event delivered twice or
two workers racing with the same reference find the first's row and write nothing, without
aborting the caller's transaction (PostgreSQL waits for a concurrent insert of the same key
to commit or roll back before deciding).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from crmkit import Transaction
from crmkit_loyalty.ledger.model import Entry
from crmkit_loyalty.ledger.tables import entry

_APPEND = {
    # RETURNING rather than the row count, which psycopg does not report for ON CONFLICT.
    name: dialect.insert(entry).on_conflict_do_nothing().returning(*entry.c)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
"""Built once: building it per entry costs more than running it."""


def append(
    tx: Transaction,
    member_id: int,
    kind: str,
    points: int,
    *,
    source: str,
    reference: str,
    now: datetime,
    rule_id: int | None = None,
    description: str | None = None,
    details: dict[str, Any] | None = None,
    expires_at: datetime | None = None,
    reverses_id: int | None = None,
) -> Entry | None:
    """The new entry, or None when the member has one of ``source`` and ``reference`` already."""
    values = {
        "member_id": member_id,
        "kind": kind,
        "points": points,
        "source": source,
        "reference": reference,
        "rule_id": rule_id,
        "description": description,
        "details": details,
        "expires_at": expires_at,
        "reverses_id": reverses_id,
        "created_by": tx.actor.user_id,
        "created_at": now,
    }
    row = tx.conn.execute(_APPEND[tx.conn.dialect.name], values).first()
    return None if row is None else Entry.of(row)


def find(conn: Any, member_id: int, source: str, reference: str) -> Entry | None:
    row = conn.execute(
        select(entry).where(
            entry.c.member_id == member_id,
            entry.c.source == source,
            entry.c.reference == reference,
        )
    ).one_or_none()
    return None if row is None else Entry.of(row)
