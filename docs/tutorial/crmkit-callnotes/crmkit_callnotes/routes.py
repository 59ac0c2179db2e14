"""HTTP routes, mounted at ``/p/callnotes/``: log a call, list the follow-ups that are due."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import Interaction, Transaction, read_date, require, utcnow
from crmkit.web import actor_of, crm_of, json_response, read_object
from crmkit_callnotes import service


async def post_call(request: Request) -> Response:
    """Log a call: ``{"party_id": 7, "outcome": "callback", "summary": "…"}``; 201 with the interaction."""
    crm, actor = crm_of(request), actor_of(request)
    body = await read_object(request)

    def log(tx: Transaction) -> Interaction:
        # In the transaction, off the event loop: a permission rule may query the database.
        require(crm.host, actor, "callnotes:log", conn=tx.conn)
        return service.log_call(tx, body)

    return json_response(crm, await crm.write(log, actor), 201)


def get_follow_ups(request: Request) -> Response:
    """Open follow-ups due by ``?due_by=YYYY-MM-DD`` (default: today), oldest first."""
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, "callnotes:read")
    due_by = request.query_params.get("due_by")
    day = read_date("due_by", due_by) if due_by else utcnow().date()
    with crm.read() as conn:
        return json_response(crm, service.open_follow_ups(conn, day))


ROUTES: list[BaseRoute] = [
    Route("/calls", post_call, methods=["POST"]),
    Route("/follow-ups", get_follow_ups),
]
