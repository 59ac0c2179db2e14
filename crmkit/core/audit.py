"""The audit trail: who changed which record when, and every field's value before and after.

Kernel services write it in the transaction of the change, so a change and its
trail commit or roll back together. Prospects and customers are one entity,
``party``, so that a record's history runs on across its conversion.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs
from attrs import frozen
from sqlalchemy import Connection, insert, select

from crmkit.core.bulk import bulk_insert
from crmkit.core.tables import audit, utcnow

if TYPE_CHECKING:
    from crmkit.core.db import Transaction

ACTIONS: tuple[str, ...] = (
    "created",
    "updated",
    "deleted",
    "converted",
    "merged",
    "erased",
    "exported",
)


@frozen
class AuditEntry:
    """One change of one record; ``changes`` maps each field to ``[before, after]``."""

    id: int
    occurred_at: datetime
    actor_id: int | None
    actor_name: str
    entity: str
    entity_id: str
    action: str
    changes: dict[str, list[Any]]


def plain(value: Any) -> Any:
    """A JSON-ready form of a field value: values objects as dicts, dates as ISO 8601 text."""
    if value is None or isinstance(value, str | int | float):
        return value  # most fields: asked first, since every change runs this per field
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if attrs.has(type(value)):
        return {k: plain(v) for k, v in attrs.asdict(value, recurse=False).items()}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    return value


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for every field whose plain value differs (absent is None)."""
    changes = {}
    for name in sorted(set(before) | set(after)):
        old, new = plain(before.get(name)), plain(after.get(name))
        if old != new:
            changes[name] = [old, new]
    return changes


_INSERT = insert(audit)
"""Built once; the values are bound at execution (the compiled form is cached)."""


def record(
    tx: Transaction, entity: str, entity_id: Any, action: str, changes: Mapping[str, list[Any]]
) -> None:
    """Add an entry to the trail in ``tx``, as done by ``tx.actor`` (public as ``crmkit.record_audit``).

    A plugin names its own entities ``<plugin>.<entity>`` and keeps personal data out
    of ``changes`` unless its ``erase_party`` empties them.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    tx.conn.execute(_INSERT, _row(tx, utcnow(), entity, entity_id, action, changes))


def record_each(
    tx: Transaction,
    entity: str,
    action: str,
    entries: Sequence[tuple[Any, Mapping[str, list[Any]]]],
) -> None:
    """:func:`record` for each ``(entity_id, changes)`` of ``entries``, in one statement."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if entries:
        now = utcnow()
        rows = [_row(tx, now, entity, i, action, changes) for i, changes in entries]
        bulk_insert(tx.conn, audit, rows)


def _row(
    tx: Transaction,
    now: datetime,
    entity: str,
    entity_id: Any,
    action: str,
    changes: Mapping[str, list[Any]],
) -> dict[str, Any]:
    return {
        "occurred_at": now,
        "actor_id": tx.actor.user_id,
        "actor_name": tx.actor.username,
        "entity": entity,
        "entity_id": str(entity_id),
        "action": action,
        "changes": dict(changes),
    }


def history(conn: Connection, entity: str, entity_id: Any, *, limit: int = 500) -> list[AuditEntry]:
    """The record's trail, newest first (``entity``: party, interaction, user, task or a plugin's)."""
    rows = conn.execute(
        select(audit)
        .where(audit.c.entity == entity, audit.c.entity_id == str(entity_id))
        .order_by(audit.c.id.desc())
        .limit(limit)
    ).mappings()
    return [AuditEntry(**row) for row in rows]
