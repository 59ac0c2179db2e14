"""Tasks: work a user has to do, created by people, jobs and plugins; each belongs to one user.

A task is ``open`` until its owner marks it ``done`` or ``cancelled``; reopening
is allowed. Changes are guarded by the task's ``version`` like every other record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import frozen
from sqlalchemy import (
    Connection,
    Select,
    and_,
    delete,
    insert,
    or_,
    select,
    update,
)

from crmkit.core import audit
from crmkit.core.db import Transaction
from crmkit.core.errors import ConflictError, NotFound, ValidationError
from crmkit.core.inputs import read_reference, read_timestamp
from crmkit.core.pagination import (
    Page,
    check_limit,
    cursor_datetime,
    cursor_id,
    decode_cursor,
    encode_cursor,
    newest_first,
)
from crmkit.core.privacy import forget_event_payloads
from crmkit.core.tables import party, task, user, utcnow

TASK_STATUSES: tuple[str, ...] = ("open", "done", "cancelled")
TITLE_LIMIT = 300
DETAILS_LIMIT = 10_000


@frozen
class Task:
    """Something one user has to do, possibly about a party, possibly by a time."""

    id: int
    owner_id: int
    party_id: int | None
    title: str
    details: str | None
    due_at: datetime | None
    status: str
    source: str
    created_at: datetime
    done_at: datetime | None
    version: int


def check_text(name: str, value: Any, limit: int, *, required: bool) -> str | None:
    """``value`` if it is text within ``limit`` (and not blank when ``required``); else raises."""
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValidationError(name, "expected text" if not required else "is required")
    if len(value) > limit:
        raise ValidationError(name, f"longer than {limit} characters")
    return value


def create_task(
    tx: Transaction,
    owner_id: int,
    title: str,
    *,
    party_id: int | None = None,
    due_at: datetime | None = None,
    details: str | None = None,
    source: str = "core",
) -> int:
    """Give ``owner_id`` a new open task; emits ``core.task_created`` and returns the task's id."""
    read_reference(tx.conn, "owner_id", owner_id, user, "user")
    check_text("title", title, TITLE_LIMIT, required=True)
    check_text("details", details, DETAILS_LIMIT, required=False)
    check_text("source", source, 100, required=True)
    if party_id is not None:
        read_reference(tx.conn, "party_id", party_id, party, "party")
    if due_at is not None:
        due_at = read_timestamp("due_at", due_at)
    task_id: int = tx.conn.execute(
        insert(task)
        .values(
            owner_id=owner_id,
            party_id=party_id,
            title=title,
            details=details,
            due_at=due_at,
            status="open",
            source=source,
            created_at=utcnow(),
            version=1,
        )
        .returning(task.c.id)
    ).scalar_one()
    tx.emit(
        "core.task_created",
        "task",
        task_id,
        {
            "id": task_id,
            "owner_id": owner_id,
            "party_id": party_id,
            "title": title,
            "due_at": None if due_at is None else due_at.isoformat(),
            "source": source,
        },
    )
    return task_id


def _task(row: Any) -> Task:
    return Task(**row._mapping)


def get_task(conn: Connection, task_id: int) -> Task:
    """The task; :class:`NotFound` if there is none."""
    row = conn.execute(select(task).where(task.c.id == task_id)).first()
    if row is None:
        raise NotFound(f"task {task_id} does not exist")
    return _task(row)


def list_tasks(
    conn: Connection,
    owner_id: int,
    *,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Task]:
    """The tasks of ``owner_id`` (only ``status`` ones if given), a page at a time.

    Open tasks come soonest due first, those without a due date last; any other
    list comes newest first.
    """
    if status is not None and status not in TASK_STATUSES:
        raise ValidationError("status", f"expected one of {', '.join(TASK_STATUSES)}")
    query = select(task).where(task.c.owner_id == owner_id)
    if status == "open":
        return _soonest_due_first(conn, query.where(task.c.status == "open"), cursor, limit)
    if status is not None:
        query = query.where(task.c.status == status)
    return newest_first(conn, query, task.c.id, _task, cursor=cursor, limit=limit)


def _soonest_due_first(
    conn: Connection, query: Select[Any], cursor: str | None, limit: int
) -> Page[Task]:
    """A page of tasks by (due date, id), undated ones last; the cursor is the last pair shown."""
    check_limit(limit)
    undated = task.c.due_at.is_(None)
    if cursor is not None:
        raw_due, raw_id = decode_cursor(cursor, 2)
        last_id = cursor_id(raw_id)
        if raw_due is None:
            query = query.where(undated, task.c.id > last_id)
        else:
            due = cursor_datetime(raw_due)
            later = or_(task.c.due_at > due, and_(task.c.due_at == due, task.c.id > last_id))
            query = query.where(or_(later, undated))
    order = (task.c.due_at.asc().nulls_last(), task.c.id.asc())
    rows = conn.execute(query.order_by(*order).limit(limit + 1)).all()
    more = len(rows) > limit
    items = [_task(row) for row in rows[:limit]]
    if not more:
        return Page(items, None)
    last = items[-1]
    due_text = None if last.due_at is None else last.due_at.isoformat()
    return Page(items, encode_cursor([due_text, last.id]))


def set_task_status(tx: Transaction, task_id: int, status: Any, expected_version: int) -> Task:
    """Mark a task ``done``, ``cancelled`` or ``open`` again, if it is still at ``expected_version``.

    Audited, and announced by ``core.task_updated``. The status it has already changes
    nothing: the task comes back as it is, at the same version, unless that version is stale.
    """
    if status not in TASK_STATUSES:
        raise ValidationError("status", f"expected one of {', '.join(TASK_STATUSES)}")
    current = get_task(tx.conn, task_id)
    if current.version != expected_version:
        raise _stale(task_id, expected_version)
    if status == current.status:
        return current
    row = tx.conn.execute(
        update(task)
        .where(task.c.id == task_id, task.c.version == expected_version)
        .values(
            status=status,
            done_at=None if status == "open" else utcnow(),
            version=expected_version + 1,
        )
        .returning(*task.c)
    ).first()
    if row is None:
        # Changed by someone else between the read above and this write.
        raise _stale(task_id, expected_version)
    changed = _task(row)
    before = {"status": current.status, "done_at": current.done_at}
    audit.record(
        tx,
        "task",
        task_id,
        "updated",
        audit.diff(before, {"status": changed.status, "done_at": changed.done_at}),
    )
    tx.emit(
        "core.task_updated",
        "task",
        task_id,
        {
            "id": task_id,
            "owner_id": changed.owner_id,
            "party_id": changed.party_id,
            "title": changed.title,
            "status": changed.status,
            "previous_status": current.status,
            "version": changed.version,
        },
    )
    return changed


def _stale(task_id: int, expected_version: int) -> ConflictError:
    return ConflictError(
        f"task {task_id} was changed by someone else (version {expected_version} is stale)"
    )


# --- The party a task is about: merges, privacy exports and erasure.


def move_tasks(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    """Re-point the tasks about a merged party to the party it was merged into."""
    tx.conn.execute(update(task).where(task.c.party_id == merged_id).values(party_id=survivor_id))


def tasks_about(conn: Connection, party_id: int) -> list[dict[str, Any]]:
    """The tasks about the party, as plain data for its privacy export."""
    rows = conn.execute(select(task).where(task.c.party_id == party_id).order_by(task.c.id))
    return [
        {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}
        for row in rows.mappings()
    ]


def erase_tasks_about(tx: Transaction, party_id: int) -> None:
    """Delete the tasks about the party, and the titles their past events carry."""
    ids = list(tx.conn.execute(select(task.c.id).where(task.c.party_id == party_id)).scalars())
    forget_event_payloads(tx, "task", ids)
    tx.conn.execute(delete(task).where(task.c.party_id == party_id))
