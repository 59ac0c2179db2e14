"""Reading the document log (``dms_document``): for the API and the pages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from crmkit import NotFound, ValidationError
from crmkit_dms.formats.tables import document

DIRECTIONS = ("in", "out")


def _entry(row: Any, *, whole: bool) -> dict[str, Any]:
    found = {
        "id": row.id,
        "format": row.format,
        "direction": row.direction,
        "source": row.source,
        "status": row.status,
        "taken": row.taken,
        "refused": row.refused,
        "error": row.error,
        "attempts": row.attempts,
        "assignment_id": row.assignment_id,
        "received_at": row.received_at.isoformat(),
    }
    if whole:
        found.update(results=row.results, body=row.body)
    return found


def list_documents(
    conn: Connection, *, before: int | None, limit: int, direction: str | None
) -> list[dict[str, Any]]:
    """The newest ``limit`` documents (with an id below ``before``), without their bodies."""
    query = select(document).order_by(document.c.id.desc()).limit(limit)
    if before is not None:
        query = query.where(document.c.id < before)
    if direction is not None:
        if direction not in DIRECTIONS:
            raise ValidationError("direction", "expected in or out")
        query = query.where(document.c.direction == direction)
    return [_entry(row, whole=False) for row in conn.execute(query)]


def get_document(conn: Connection, document_id: int) -> dict[str, Any]:
    """One document with what each lead became and its body as kept; NotFound."""
    row = conn.execute(select(document).where(document.c.id == document_id)).first()
    if row is None:
        raise NotFound(f"document {document_id} does not exist")
    return _entry(row, whole=True)
