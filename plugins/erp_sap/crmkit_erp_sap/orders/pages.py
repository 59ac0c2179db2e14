"""The orders part's page: order pushes, filtered by state, with a retry button for admins."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import MenuItem, Transaction, is_allowed
from crmkit.web import Refusal, actor_of, check_query, crm_of, page_response, read_as, submit
from crmkit_erp_sap.orders import pushes
from crmkit_erp_sap.orders.access import ORDER_READ, ORDER_RETRY
from crmkit_erp_sap.orders.tables import PUSH_STATES

LIST = "/p/erp_sap/page/order-pushes"
MENU = [MenuItem("SAP orders", LIST, ORDER_READ, order=84)]
PAGE_SIZE = 50


def _pushes_page(request: Request, *, error: Refusal | None = None, status: int = 200) -> Response:
    check_query(request, ("state", "cursor"))
    state = request.query_params.get("state") or None

    def work(tx: Transaction) -> Any:
        return pushes.list_pushes(
            tx, state=state, cursor=request.query_params.get("cursor"), limit=PAGE_SIZE
        )

    page = read_as(request, ORDER_READ, work)
    crm, actor = crm_of(request), actor_of(request)
    return page_response(
        request,
        "erp_sap/orders/pushes.html",
        status=status,
        page=page,
        state=state,
        states=PUSH_STATES,
        error=error,
        may_retry=is_allowed(crm.host, actor, ORDER_RETRY),
    )


def pushes_page(request: Request) -> Response:
    return _pushes_page(request)


async def post_retry(request: Request) -> Response:
    push_id: int = request.path_params["push_id"]

    def act(tx: Transaction, form: dict[str, str]) -> str:
        pushes.retry_push(tx, push_id)
        return f"{LIST}?state=queued"

    def refused(request: Request, form: dict[str, str], error: Refusal, status: int) -> Response:
        return _pushes_page(request, error=error, status=status)

    return await submit(request, ORDER_RETRY, act, refused)


ROUTES: list[BaseRoute] = [
    Route("/page/order-pushes", pushes_page),
    Route("/page/order-pushes/{push_id:id}/retry", post_retry, methods=["POST"]),
]
