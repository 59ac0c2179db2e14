"""Reading the inbox of changes: lists, one change, counts by state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, func, select

from crmkit import NotFound, Page, newest_first
from crmkit_social.webhooks.tables import change_table

STATES = ("pending", "processed", "ignored", "refused", "failed")


@frozen
class ChangeSummary:
    """A stored change as the inbox lists it (without its payload)."""

    id: int
    key: str
    object: str
    page_id: str
    field: str
    time: datetime
    received_at: datetime
    state: str
    reason: str | None
    attempts: int
    next_try_at: datetime | None
    last_error: str | None
    processed_at: datetime | None


@frozen
class ChangeDetail:
    """A stored change with its payload, as Meta sent it."""

    change: ChangeSummary
    value: dict[str, Any]


def summary_of(row: Any) -> ChangeSummary:
    return ChangeSummary(
        id=row.id,
        key=row.key,
        object=row.object,
        page_id=row.page_id,
        field=row.field,
        time=row.time,
        received_at=row.received_at,
        state=row.state,
        reason=row.reason,
        attempts=row.attempts,
        next_try_at=row.next_try_at,
        last_error=row.last_error,
        processed_at=row.processed_at,
    )


def list_changes(
    conn: Connection,
    *,
    state: str | None = None,
    page_id: str | None = None,
    field: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[ChangeSummary]:
    columns = [c for c in change_table.c if c.name != "value"]
    query = select(*columns)
    if state is not None:
        query = query.where(change_table.c.state == state)
    if page_id is not None:
        query = query.where(change_table.c.page_id == page_id)
    if field is not None:
        query = query.where(change_table.c.field == field)
    return newest_first(conn, query, change_table.c.id, summary_of, cursor=cursor, limit=limit)


def change_detail(conn: Connection, change_id: int) -> ChangeDetail:
    row = conn.execute(select(change_table).where(change_table.c.id == change_id)).first()
    if row is None:
        raise NotFound(f"change {change_id} does not exist")
    return ChangeDetail(summary_of(row), dict(row.value))


def counts(conn: Connection) -> dict[str, int]:
    found: dict[str, int] = dict(
        conn.execute(
            select(change_table.c.state, func.count()).group_by(change_table.c.state)
        ).all()
    )
    return {state: int(found.get(state, 0)) for state in STATES}
