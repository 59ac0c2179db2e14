"""The orders part's JSON API under ``/p/erp_sap/``: order pushes, and retrying one.

A push whose order's party the user does not see is 404 and left out of lists; retrying
a push that is not failed or given up is 409.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import Page, Transaction, parse_whole_number
from crmkit.web import Param, check_query, crm_of, json_response, operation, read_as, write_as
from crmkit_erp_sap.orders import pushes
from crmkit_erp_sap.orders.access import ORDER_READ, ORDER_RETRY
from crmkit_erp_sap.orders.pushes import OrderPush
from crmkit_erp_sap.orders.tables import PUSH_STATES

PAGE_LIMIT = 500


@operation(
    "Pushes of sfa orders to SAP whose party the user sees, newest first, a page at a time",
    response=Page[OrderPush],
    query=(
        Param("state", str, f"Only pushes in this state ({', '.join(PUSH_STATES)})"),
        Param("cursor", str, "The next_cursor of the page before"),
        Param("limit", int, f"At most this many (1 to {PAGE_LIMIT}, default 50)"),
    ),
)
def erp_sap_list_order_pushes(request: Request) -> Response:
    check_query(request, ("state", "cursor", "limit"))
    raw = request.query_params.get("limit")
    limit = 50 if raw is None else parse_whole_number("limit", raw, minimum=1, maximum=PAGE_LIMIT)

    def work(tx: Transaction) -> Page[OrderPush]:
        return pushes.list_pushes(
            tx,
            state=request.query_params.get("state"),
            cursor=request.query_params.get("cursor"),
            limit=limit,
        )

    return json_response(crm_of(request), read_as(request, ORDER_READ, work))


@operation(
    "One order push: its state, SAP number, attempts, last error", response=OrderPush, errors=(404,)
)
def erp_sap_get_order_push(request: Request) -> Response:
    check_query(request)
    push_id: int = request.path_params["push_id"]
    found = read_as(request, ORDER_READ, lambda tx: pushes.get_push(tx, push_id))
    return json_response(crm_of(request), found)


@operation(
    "Queue a failed or given-up push again, due now (SAP is read back before it is resent)",
    response=OrderPush,
    errors=(404, 409),
)
async def erp_sap_retry_order_push(request: Request) -> Response:
    check_query(request)
    push_id: int = request.path_params["push_id"]
    retried = await write_as(request, ORDER_RETRY, lambda tx: pushes.retry_push(tx, push_id))
    return json_response(crm_of(request), retried)


ROUTES: list[BaseRoute] = [
    Route("/order-pushes", erp_sap_list_order_pushes, methods=["GET"]),
    Route("/order-pushes/{push_id:id}", erp_sap_get_order_push, methods=["GET"]),
    Route("/order-pushes/{push_id:id}/retry", erp_sap_retry_order_push, methods=["POST"]),
]
