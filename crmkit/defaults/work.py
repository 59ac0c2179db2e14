"""Kernel tasks and notifications: their permissions, event types and the "My work" menu entry.

Every user works on their own tasks and reads their own notifications: whatever
a role is granted, another user's task or notification is vetoed (admins
included, since a notification can be personal). The system actor, which runs
jobs, is not restricted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmkit.core.events import EventType
from crmkit.core.notifications import Notification
from crmkit.core.permissions import Permission
from crmkit.core.tasks import Task, erase_tasks_about, move_tasks, tasks_about
from crmkit.core.ui import MenuItem
from crmkit.defaults.permissions import EVERYONE, WRITERS
from crmkit.hooks.markers import hookimpl

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from crmkit.core.actors import Actor
    from crmkit.core.db import Transaction

WORK_PERMISSIONS = [
    Permission("core:task.read", "See one's own tasks", EVERYONE),
    Permission("core:task.write", "Complete, cancel or reopen one's own tasks", WRITERS),
    Permission(
        "core:notification.read", "Read one's own notifications and mark them read", EVERYONE
    ),
]


@hookimpl
def register_permissions() -> list[Permission]:
    return WORK_PERMISSIONS


@hookimpl
def register_event_types() -> list[EventType]:
    return [
        EventType("core.task_created", "A user was given a task", "task"),
        EventType("core.task_updated", "A task was completed, cancelled or reopened", "task"),
        EventType(
            "core.notification_created",
            "A user was sent a notification, to deliver",
            "notification",
        ),
    ]


@hookimpl
def menu_items(actor: Actor) -> list[MenuItem]:
    return [MenuItem("My work", "/work", "core:task.read", order=30)]


def _owner(record: Any) -> int | None:
    if isinstance(record, Task):
        return record.owner_id
    if isinstance(record, Notification):
        return record.user_id
    return None


@hookimpl
def permission_check(
    actor: Actor, action: str, resource: Any, granted_to: frozenset[str], conn: Connection | None
) -> bool | None:
    owner = _owner(resource)
    if owner is None or actor.is_system:
        return None
    return False if owner != actor.user_id else None


@hookimpl
def parties_merged(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    move_tasks(tx, survivor_id, merged_id)


@hookimpl
def export_party(conn: Connection, party_id: int) -> dict[str, Any]:
    return {"tasks": tasks_about(conn, party_id)}


@hookimpl
def erase_party(tx: Transaction, party_id: int) -> None:
    erase_tasks_about(tx, party_id)
