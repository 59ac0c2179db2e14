"""The webhooks part's admin page: the inbox of Meta deliveries, with retry by hand."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import MenuItem, Transaction, ValidationError
from crmkit.web import Refusal, page_response, read_as, submit
from crmkit_social.webhooks import process, service
from crmkit_social.webhooks.access import INBOX
from crmkit_social.webhooks.service import STATES

BASE = "/p/social/page/inbox"
MENU = [MenuItem("Meta deliveries", BASE, INBOX, order=81)]
PAGE_SIZE = 100


def inbox_page(
    request: Request,
    values: dict[str, str] | None = None,
    error: Refusal | None = None,
    status: int = 200,
) -> Response:
    """The newest changes (of one state, ``?state=failed``), counts by state."""
    state = request.query_params.get("state") or None
    if state is not None and state not in STATES:
        error, status, state = (
            ValidationError("state", f"expected one of {', '.join(STATES)}"),
            422,
            None,
        )
    cursor = request.query_params.get("cursor") or None

    def work(tx: Transaction) -> tuple[dict[str, int], object]:
        return service.counts(tx.conn), service.list_changes(
            tx.conn, state=state, cursor=cursor, limit=PAGE_SIZE
        )

    counts, found = read_as(request, INBOX, work)
    return page_response(
        request,
        "social/webhooks/inbox.html",
        status=status,
        counts=counts,
        changes=found,
        state=state,
        states=STATES,
        retryable=process.RETRYABLE,
        values=values or {},
        error=error,
        error_field=getattr(error, "field", None),
    )


async def post_retry(request: Request) -> Response:
    change_id: int = request.path_params["change_id"]

    def retry(tx: Transaction, fields: dict[str, str]) -> str:
        process.retry_by_hand(tx, change_id)
        back = fields.get("state", "")
        return BASE + (f"?state={back}" if back in STATES else "")

    return await submit(request, INBOX, retry, inbox_page)


ROUTES: list[BaseRoute] = [
    Route("/page/inbox", inbox_page),
    Route("/page/inbox/{change_id:id}/retry", post_retry, methods=["POST"]),
]
