"""The webhooks admin page: subscribe a URL, send it a test, disable or enable it, and send a delivery again.

For holders of ``core:webhook.admin``; the buttons are plain forms (CSRF-checked by
the middleware). A new subscription's signing secret is shown once, on the page that
answers the form, as the API answers it once.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from crmkit.core.errors import ValidationError
from crmkit.core.permissions import require
from crmkit.core.webhook_delivery import TestResult, send_test
from crmkit.core.webhooks import (
    CreatedSubscription,
    add_subscription,
    list_deliveries,
    list_subscriptions,
    redeliver,
    set_active,
)
from crmkit.web.context import actor_of, site_of
from crmkit.web.listing import check_parameters
from crmkit.web.pages import page_response
from crmkit.web.payloads import read_form

ADMIN = "core:webhook.admin"
SHOWN = 20
"""Deliveries shown per subscription; the API and ``crmkit webhooks log`` page through all."""
WEBHOOKS_PATH = "/admin/webhooks"
NEW_FORM = {"event_types": "*"}
ACTIVITY = ("yes", "no")


def _page(
    request: Request,
    *,
    created: CreatedSubscription | None = None,
    tested: tuple[int, TestResult] | None = None,
    error: ValidationError | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    crm, actor = site_of(request).crm, actor_of(request)
    require(crm.host, actor, ADMIN)
    with crm.read() as conn:
        shown = [
            (s, list_deliveries(conn, s.id, limit=SHOWN).items) for s in list_subscriptions(conn)
        ]
    return page_response(
        request,
        "webhooks.html",
        status=status,
        subscriptions=shown,
        created=created,
        tested=tested,
        error=error,
        error_field=getattr(error, "field", None),
        values=form or NEW_FORM,
    )


def webhooks_page(request: Request) -> Response:
    """Every subscription with its latest deliveries, and a form for a new one."""
    check_parameters(request.query_params, ())
    return _page(request)


def _subscribe(request: Request, form: dict[str, str]) -> CreatedSubscription:
    crm, actor = site_of(request).crm, actor_of(request)
    require(crm.host, actor, ADMIN)
    types = [name.strip() for name in form.get("event_types", "").split(",") if name.strip()]
    with crm.transaction(actor) as tx:
        return add_subscription(
            tx,
            form.get("url", "").strip(),
            types,
            entity=form.get("entity", "").strip() or None,
            description=form.get("description", "").strip(),
        )


async def subscribe_post(request: Request) -> Response:
    """Subscribe the form's URL; the page shows the secret once, or the form again with the reason."""
    form = await read_form(request)
    try:
        created = await run_in_threadpool(_subscribe, request, form)
    except ValidationError as exc:
        return await run_in_threadpool(_page, request, error=exc, form=form, status=422)
    return await run_in_threadpool(_page, request, created=created, status=201)


def _write(request: Request, work: Any) -> None:
    crm, actor = site_of(request).crm, actor_of(request)
    require(crm.host, actor, ADMIN)
    with crm.transaction(actor) as tx:
        work(tx)


async def redeliver_delivery(request: Request) -> Response:
    """Queue a delivery again and show the page."""
    delivery_id = request.path_params["delivery_id"]
    await run_in_threadpool(_write, request, lambda tx: redeliver(tx, delivery_id))
    return RedirectResponse(WEBHOOKS_PATH, status_code=303)


async def activity_post(request: Request) -> Response:
    """Disable the subscription (``active=no``), or enable it (``yes``, which clears its failures)."""
    form = await read_form(request)
    webhook_id = request.path_params["webhook_id"]
    if form.get("active") not in ACTIVITY:
        error = ValidationError("active", "expected yes (enable) or no (disable)")
        return await run_in_threadpool(_page, request, error=error, status=422)
    active = form["active"] == "yes"
    await run_in_threadpool(_write, request, lambda tx: set_active(tx, webhook_id, active))
    return RedirectResponse(WEBHOOKS_PATH, status_code=303)


def _test(request: Request, webhook_id: int) -> TestResult:
    crm = site_of(request).crm
    require(crm.host, actor_of(request), ADMIN)
    return send_test(crm, webhook_id)


async def test_post(request: Request) -> Response:
    """POST a signed ``webhook.test`` message to the subscription now and show its answer."""
    webhook_id = request.path_params["webhook_id"]
    result = await run_in_threadpool(_test, request, webhook_id)
    return await run_in_threadpool(_page, request, tested=(webhook_id, result))


ROUTES: list[BaseRoute] = [
    Route(WEBHOOKS_PATH, webhooks_page, methods=["GET"], name="webhooks"),
    Route(WEBHOOKS_PATH, subscribe_post, methods=["POST"], name="webhooks_subscribe"),
    Route(f"{WEBHOOKS_PATH}/{{webhook_id:id}}/test", test_post, methods=["POST"]),
    Route(f"{WEBHOOKS_PATH}/{{webhook_id:id}}/activity", activity_post, methods=["POST"]),
    Route(
        f"{WEBHOOKS_PATH}/deliveries/{{delivery_id:id}}/redeliver",
        redeliver_delivery,
        methods=["POST"],
        name="webhooks_redeliver",
    ),
]
