"""Reading saved segments and lists as their reader may: unknown and unreadable are alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from crmkit import ConflictError, NotFound, Transaction, is_allowed
from crmkit_campaigns.segments.access import SEGMENT_READ
from crmkit_campaigns.segments.tables import party_list, segment


def _readable(tx: Transaction) -> bool:
    return is_allowed(tx.hooks, tx.actor, SEGMENT_READ)


def segment_row(tx: Transaction, segment_id: int) -> Any:
    """The saved segment's row; NotFound when it does not exist or ``tx.actor`` may not read it."""
    row = tx.conn.execute(select(segment).where(segment.c.id == segment_id)).first()
    if row is None or not _readable(tx):
        raise NotFound(f"segment {segment_id} does not exist")
    return row


def list_row(tx: Transaction, list_id: int, kind: str | None = None) -> Any:
    """The list's row (of ``kind`` when given); NotFound as for :func:`segment_row`."""
    query = select(party_list).where(party_list.c.id == list_id)
    if kind is not None:
        query = query.where(party_list.c.kind == kind)
    row = tx.conn.execute(query).first()
    if row is None or not _readable(tx):
        what = "suppression list" if kind == "suppression" else "list"
        raise NotFound(f"{what} {list_id} does not exist")
    return row


def refuse_if_referred_to(tx: Transaction, criterion: str, record_id: int, what: str) -> None:
    """ConflictError naming the saved segments whose definition uses ``criterion`` (``segment``
    or ``list``) with ``record_id``: deleting it would break them."""
    rows = tx.conn.execute(select(segment.c.id, segment.c.definition).order_by(segment.c.id))
    referring = [row.id for row in rows if refers_to(row.definition, criterion, record_id)]
    if referring:
        named = ", ".join(str(i) for i in referring)
        raise ConflictError(f"{what} {record_id} is used by saved segment(s) {named}")


def refers_to(definition: Any, criterion: str, record_id: int) -> bool:
    """Whether a (saved, so valid) definition holds ``criterion`` with value ``record_id``."""
    pending = [definition]
    while pending:
        item = pending.pop()
        if isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, Mapping):
            value = str(item.get("value")).strip()
            # Read as values.record_id reads it: a number, or its digits.
            if item.get("criterion") == criterion and value.isdigit() and value.isascii():
                if int(value) == record_id:
                    return True
            else:
                pending.extend(item.values())
    return False
