"""The API of the actor's own work: their tasks and their notifications.

Each user sees only their own; another user's task or notification is simply
not found (the permission hooks veto it, see :mod:`crmkit.defaults.work`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from attrs import field, frozen
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit.core.actors import Actor
from crmkit.core.db import Transaction
from crmkit.core.errors import NotFound, PermissionDenied, ValidationError
from crmkit.core.notifications import (
    Notification,
    get_notification,
    list_notifications,
    mark_read,
)
from crmkit.core.pagination import Page
from crmkit.core.permissions import is_allowed, require
from crmkit.core.tasks import Task, get_task, list_tasks, set_task_status
from crmkit.core.visible_records import DEFAULT_LIMIT
from crmkit.web.api import IF_MATCH, run_change, run_write
from crmkit.web.context import actor_of, crm_of
from crmkit.web.listing import check_parameters, int_parameter
from crmkit.web.openapi import Param, operation
from crmkit.web.payloads import json_response, only_fields

if TYPE_CHECKING:
    from crmkit.app import Crm

PAGE_PARAMS = (
    Param("limit", int, "Most items on the page (1-500)"),
    Param("cursor", str, "next_cursor of the previous page"),
)


@frozen
class TaskChanges:
    """The new status of a task; ``version`` (or an ``If-Match`` header) is the version last read."""

    __json_input__: ClassVar[bool] = True

    status: Literal["open", "done", "cancelled"]
    version: int | None = field(default=None, metadata={"json": {"minimum": 1}})


def user_id_of(actor: Actor) -> int:
    # Tasks and notifications belong to users; the system actor has neither.
    if actor.user_id is None:
        raise PermissionDenied(f"{actor.username} has no tasks or notifications")
    return actor.user_id


def own(crm: Crm, actor: Actor, action: str, record: Any, kind: str, record_id: int) -> None:
    """Refuse ``action`` on ``record``; one the actor may not even read is not found."""
    read = "core:task.read" if kind == "task" else "core:notification.read"
    if not is_allowed(crm.host, actor, read, record):
        raise NotFound(f"{kind} {record_id} does not exist")
    require(crm.host, actor, action, record)


@operation(
    "The actor's tasks: open ones soonest due first (undated last), the others newest first",
    response=Page[Task],
    query=(Param("status", str, "open, done or cancelled"), *PAGE_PARAMS),
)
def my_tasks(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    params = request.query_params
    check_parameters(params, ("status", "limit", "cursor"))
    require(crm.host, actor, "core:task.read")
    with crm.read() as conn:
        page = list_tasks(
            conn,
            user_id_of(actor),
            status=params.get("status"),
            cursor=params.get("cursor"),
            limit=int_parameter(params, "limit", DEFAULT_LIMIT),
        )
    return json_response(crm, page)


@operation(
    "Complete, cancel or reopen one of the actor's tasks",
    request=TaskChanges,
    response=Task,
    query=(IF_MATCH,),
    errors=(404, 409, 412, 428),
)
async def change_task(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    task_id = request.path_params["task_id"]

    def work(tx: Transaction, data: dict[str, Any], version: int) -> Task:
        only_fields(data, ("status",))
        if "status" not in data:
            raise ValidationError("status", "is required: open, done or cancelled")
        own(crm, actor, "core:task.write", get_task(tx.conn, task_id), "task", task_id)
        return set_task_status(tx, task_id, data["status"], version)

    return await run_change(request, work)


@operation(
    "The actor's notifications, newest first",
    response=Page[Notification],
    query=(Param("unread", bool, "true: only those not read yet"), *PAGE_PARAMS),
)
def my_notifications(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    params = request.query_params
    check_parameters(params, ("unread", "limit", "cursor"))
    unread = params.get("unread", "false")
    if unread not in ("true", "false"):
        raise ValidationError("unread", "expected true or false")
    require(crm.host, actor, "core:notification.read")
    with crm.read() as conn:
        page = list_notifications(
            conn,
            user_id_of(actor),
            unread=unread == "true",
            cursor=params.get("cursor"),
            limit=int_parameter(params, "limit", DEFAULT_LIMIT),
        )
    return json_response(crm, page)


@operation("Mark one of the actor's notifications read", response=Notification, errors=(404,))
async def read_notification(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    notification_id = request.path_params["notification_id"]

    def work(tx: Transaction) -> Notification:
        found = get_notification(tx.conn, notification_id)
        own(crm, actor, "core:notification.read", found, "notification", notification_id)
        return mark_read(tx, notification_id)

    return await run_write(request, work)


ROUTES: list[BaseRoute] = [
    Route("/tasks", my_tasks, methods=["GET"], name="api_tasks"),
    Route("/tasks/{task_id:id}", change_task, methods=["PATCH"], name="api_change_task"),
    Route("/notifications", my_notifications, methods=["GET"], name="api_notifications"),
    Route(
        "/notifications/{notification_id:id}/read",
        read_notification,
        methods=["POST"],
        name="api_read_notification",
    ),
]
"""Below ``/api/v1``, where :mod:`crmkit.web.app` mounts them with the kernel API."""
