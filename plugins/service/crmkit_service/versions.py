"""Optimistic concurrency, as every part keeps it: a change may name the version it read, and a
row is written only while it is still at the version it was read at; otherwise 409."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Row, Table, update

from crmkit import ConflictError, Transaction, utcnow


def check_version(what: str, current: int, given: int | None) -> None:
    """ConflictError unless ``given`` is ``current``; None asks for no check.

    ``what`` names the record for people ("case CS-000012", "calendar 3").
    """
    if given is not None and given != current:
        raise ConflictError(
            f"{what} is at version {current}, not {given}: someone changed it since you read it"
        )


def update_versioned(
    tx: Transaction,
    table: Table,
    what: str,
    record_id: int,
    current: int,
    values: Mapping[str, Any],
) -> Row[Any]:
    """The row of ``table`` with ``values`` written, its version the next and ``updated_at`` now,
    if it is still at version ``current``; else ConflictError."""
    row = tx.conn.execute(
        update(table)
        .where(table.c.id == record_id, table.c.version == current)
        .values(**values, version=current + 1, updated_at=utcnow())
        .returning(*table.c)
    ).first()
    if row is None:
        raise ConflictError(f"{what} was changed meanwhile: read it again")
    return row
