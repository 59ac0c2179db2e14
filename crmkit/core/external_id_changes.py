"""The history of external ids: each move of an id from one party to another, or away from its party.

A source re-pointing an id (``relinked``), a merge carrying the merged party's
ids to the survivor (``merged``) and an id removed from its party
(``unlinked``, to no party) each leave a row of ``core_external_id_change``:
who moved it when, from which party to which.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import attrs
from attrs import frozen
from sqlalchemy import ColumnElement, Connection, delete, insert, or_, select, tuple_

from crmkit.core.db import Transaction
from crmkit.core.tables import external_id, external_id_change, utcnow

Reason = Literal["relinked", "merged", "unlinked"]


@frozen
class ExternalIdChange:
    """An id moved from one party to another: ``relinked`` by a source, ``merged`` with its party,
    or ``unlinked`` from its party (``to_party_id`` None)."""

    system: str
    external_id: str
    from_party_id: int
    to_party_id: int | None
    reason: Reason
    changed_by: str
    changed_at: datetime


def changes_of(conn: Connection, system: str, value: str) -> list[ExternalIdChange]:
    """Every move of the external id ``value`` of ``system``, oldest first."""
    rows = conn.execute(
        select(external_id_change)
        .where(external_id_change.c.system == system, external_id_change.c.external_id == value)
        .order_by(external_id_change.c.id)
    )
    return [_change(r) for r in rows]


def record_merged_ids(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    """Keep, for each id of ``merged_id``, that a merge carries it to ``survivor_id`` (before it does)."""
    keys = [
        (r.system, r.external_id)
        for r in tx.conn.execute(
            select(external_id.c.system, external_id.c.external_id).where(
                external_id.c.party_id == merged_id
            )
        )
    ]
    if keys:
        record_change(tx, keys, merged_id, survivor_id, "merged")


def changes_concerning(conn: Connection, party_id: int) -> list[dict[str, Any]]:
    """The history of the party's ids and of every id moved to or from it, as rows, oldest first."""
    rows = conn.execute(
        select(external_id_change).where(_concerning(party_id)).order_by(external_id_change.c.id)
    )
    return [dict(r._mapping) for r in rows]


def forget_changes(tx: Transaction, party_id: int) -> None:
    """Erase the history of the party's ids and of every id moved to or from it."""
    tx.conn.execute(delete(external_id_change).where(_concerning(party_id)))


def _concerning(party_id: int) -> ColumnElement[bool]:
    own = select(external_id.c.system, external_id.c.external_id).where(
        external_id.c.party_id == party_id
    )
    return or_(
        external_id_change.c.from_party_id == party_id,
        external_id_change.c.to_party_id == party_id,
        tuple_(external_id_change.c.system, external_id_change.c.external_id).in_(own),
    )


def record_change(
    tx: Transaction, keys: list[tuple[str, str]], from_id: int, to_id: int | None, reason: Reason
) -> list[ExternalIdChange]:
    """Keep that the ids ``keys`` (system, external id) move from ``from_id`` to ``to_id``
    (None: to no party), by ``tx.actor``; the changes kept."""
    now = utcnow()
    changes = [
        ExternalIdChange(system, value, from_id, to_id, reason, tx.actor.username, now)
        for system, value in keys
    ]
    tx.conn.execute(insert(external_id_change), [attrs.asdict(c) for c in changes])
    return changes


def _change(row: Any) -> ExternalIdChange:
    return ExternalIdChange(
        row.system,
        row.external_id,
        row.from_party_id,
        row.to_party_id,
        row.reason,
        row.changed_by,
        row.changed_at,
    )
