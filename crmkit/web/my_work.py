"""The "My work" page: the actor's open tasks and their notifications, to complete and to read.

The buttons are plain forms (CSRF-checked by the middleware) that come back to the page.
"""

from __future__ import annotations

import functools

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from crmkit.core.inputs import parse_whole_number
from crmkit.core.notifications import get_notification, list_notifications, mark_read
from crmkit.core.permissions import require
from crmkit.core.tasks import get_task, list_tasks, set_task_status
from crmkit.web.api_work import own, user_id_of
from crmkit.web.context import actor_of, site_of
from crmkit.web.listing import check_parameters
from crmkit.web.pages import page_response
from crmkit.web.payloads import read_form

SHOWN = 100
"""Open tasks and notifications shown; the API pages through all of them."""
WORK_PATH = "/work"


def work_page(request: Request) -> Response:
    """The actor's open tasks and latest notifications."""
    check_parameters(request.query_params, ())
    crm, actor = site_of(request).crm, actor_of(request)
    require(crm.host, actor, "core:task.read")
    user_id = user_id_of(actor)
    with crm.read() as conn:
        tasks = list_tasks(conn, user_id, status="open", cursor=None, limit=SHOWN).items
        notifications = list_notifications(conn, user_id, cursor=None, limit=SHOWN).items
    return page_response(request, "work.html", tasks=tasks, notifications=notifications)


def _change_task(request: Request, task_id: int, status: str, version: str) -> None:
    crm, actor = site_of(request).crm, actor_of(request)
    expected = parse_whole_number("version", version, minimum=1)
    with crm.transaction(actor) as tx:
        own(crm, actor, "core:task.write", get_task(tx.conn, task_id), "task", task_id)
        set_task_status(tx, task_id, status, expected)


async def change_task(request: Request) -> Response:
    """Mark a task done or cancelled, then show the page again."""
    form = await read_form(request)
    await run_in_threadpool(
        functools.partial(
            _change_task,
            request,
            request.path_params["task_id"],
            form.get("status", ""),
            form.get("version", ""),
        )
    )
    return RedirectResponse(WORK_PATH, status_code=303)


def _read(request: Request, notification_id: int) -> None:
    crm, actor = site_of(request).crm, actor_of(request)
    with crm.transaction(actor) as tx:
        found = get_notification(tx.conn, notification_id)
        own(crm, actor, "core:notification.read", found, "notification", notification_id)
        mark_read(tx, notification_id)


async def read_notification(request: Request) -> Response:
    """Mark a notification read and show the page again."""
    notification_id = request.path_params["notification_id"]
    await run_in_threadpool(_read, request, notification_id)
    return RedirectResponse(WORK_PATH, status_code=303)


ROUTES: list[BaseRoute] = [
    Route(WORK_PATH, work_page, methods=["GET"], name="work"),
    Route(f"{WORK_PATH}/tasks/{{task_id:id}}", change_task, methods=["POST"], name="work_task"),
    Route(
        f"{WORK_PATH}/notifications/{{notification_id:id}}/read",
        read_notification,
        methods=["POST"],
        name="work_notification_read",
    ),
]
