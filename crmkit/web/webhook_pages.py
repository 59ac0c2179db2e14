"""The webhooks admin page: subscriptions, each one's latest deliveries, and a button to send one again.

For holders of ``core:webhook.admin``; the buttons are plain forms (CSRF-checked by
the middleware) that come back to the page.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from crmkit.core.permissions import require
from crmkit.core.webhooks import list_deliveries, list_subscriptions, redeliver
from crmkit.web.context import actor_of, site_of
from crmkit.web.listing import check_parameters
from crmkit.web.pages import page_response

ADMIN = "core:webhook.admin"
SHOWN = 20
"""Deliveries shown per subscription; the API and ``crmkit webhooks log`` page through all."""
WEBHOOKS_PATH = "/admin/webhooks"


def webhooks_page(request: Request) -> Response:
    """Every subscription with its latest deliveries."""
    check_parameters(request.query_params, ())
    crm, actor = site_of(request).crm, actor_of(request)
    require(crm.host, actor, ADMIN)
    with crm.read() as conn:
        shown = [
            (s, list_deliveries(conn, s.id, limit=SHOWN).items) for s in list_subscriptions(conn)
        ]
    return page_response(request, "webhooks.html", subscriptions=shown)


def _redeliver(request: Request, delivery_id: int) -> None:
    crm, actor = site_of(request).crm, actor_of(request)
    require(crm.host, actor, ADMIN)
    with crm.transaction(actor) as tx:
        redeliver(tx, delivery_id)


async def redeliver_delivery(request: Request) -> Response:
    """Queue a delivery again and show the page."""
    await run_in_threadpool(_redeliver, request, request.path_params["delivery_id"])
    return RedirectResponse(WEBHOOKS_PATH, status_code=303)


ROUTES: list[BaseRoute] = [
    Route(WEBHOOKS_PATH, webhooks_page, methods=["GET"], name="webhooks"),
    Route(
        f"{WEBHOOKS_PATH}/deliveries/{{delivery_id:id}}/redeliver",
        redeliver_delivery,
        methods=["POST"],
        name="webhooks_redeliver",
    ),
]
