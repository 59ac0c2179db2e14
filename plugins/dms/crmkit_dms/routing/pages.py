"""The routing part's pages for staff: routed leads by state, and the fallback queue with a
form to route each waiting lead by hand (partners answer their offers in the portal).

A refused form shows the queue again with why, having stored nothing.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import MenuItem, Transaction, ValidationError, parse_whole_number
from crmkit.web import Refusal, check_query, page_response, read_as, submit
from crmkit_dms.partners.service import list_partners
from crmkit_dms.routing import records
from crmkit_dms.routing.access import ASSIGNMENT_READ, LEAD_ROUTE
from crmkit_dms.routing.by_hand import route_by_hand
from crmkit_dms.routing.model import STATES

MENU = [
    MenuItem("Routed leads", "/p/dms/page/assignments", ASSIGNMENT_READ, order=62),
    MenuItem("Fallback queue", "/p/dms/page/fallback", LEAD_ROUTE, order=63),
]
PAGE_SIZE = 50


def assignments_page(request: Request) -> Response:
    """The assignments the user sees, newest first, filtered by state."""
    check_query(request, ("state", "cursor"))
    state = request.query_params.get("state") or None
    error = None
    if state is not None and state not in STATES:
        # A stale link or a typed address: the page, unfiltered, saying why.
        error = ValidationError("state", f"expected one of {', '.join(STATES)}")
        state = None

    def work(tx: Transaction) -> Any:
        return records.list_assignments(
            tx, state=state, cursor=request.query_params.get("cursor"), limit=PAGE_SIZE
        )

    page = read_as(request, ASSIGNMENT_READ, work)
    return page_response(
        request,
        "dms/routing/assignments.html",
        status=200 if error is None else 422,
        page=page,
        state=state or "",
        states=STATES,
        error=error,
    )


def _queue_page(
    request: Request,
    values: dict[str, str] | None = None,
    error: Refusal | None = None,
    status: int = 200,
) -> Response:
    check_query(request, ("cursor",))

    def work(tx: Transaction) -> dict[str, Any]:
        return {
            "page": records.list_assignments(
                tx, queued=True, cursor=request.query_params.get("cursor"), limit=PAGE_SIZE
            ),
            "partners": list_partners(tx.conn, active=True),
        }

    found = read_as(request, LEAD_ROUTE, work)
    return page_response(
        request,
        "dms/routing/fallback.html",
        status=status,
        values=values or {},
        error=error,
        error_field=getattr(error, "field", None),
        **found,
    )


def fallback_page(request: Request) -> Response:
    return _queue_page(request)


def _refused(request: Request, form: dict[str, str], error: Refusal, status: int) -> Response:
    return _queue_page(request, form, error, status)


async def post_route(request: Request) -> Response:
    """Route a queued lead by hand: to the partner chosen, or to the best one for its region."""
    assignment_id: int = request.path_params["assignment_id"]

    def act(tx: Transaction, form: dict[str, str]) -> str:
        queued = records.get_assignment(tx, assignment_id)
        if not queued.queued or queued.party_id is None:
            raise ValidationError("assignment_id", "this lead no longer waits in the queue")
        chosen = form.get("partner_id") or None
        route_by_hand(
            tx,
            queued.party_id,
            {},
            partner_id=None
            if chosen is None
            else parse_whole_number("partner_id", chosen, minimum=1),
            source="web",
        )
        return "/p/dms/page/fallback"

    return await submit(request, LEAD_ROUTE, act, _refused)


ROUTES: list[BaseRoute] = [
    Route("/page/assignments", assignments_page),
    Route("/page/fallback", fallback_page),
    Route("/page/fallback/{assignment_id:id}/route", post_route, methods=["POST"]),
]
