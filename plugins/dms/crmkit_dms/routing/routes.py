"""The routing part's JSON API under ``/p/dms/``: assignments, answering them, routing by hand,
and the fallback queue.

Staff see the assignments of parties they see, a partner user those of its partner; any
other is 404. Bad input is a 422 problem naming the field; answering an offer that is no
longer open is 409.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import Page, Transaction, ValidationError, check_fields, parse_whole_number, read_id
from crmkit.web import (
    Param,
    check_query,
    crm_of,
    json_response,
    operation,
    read_as,
    read_object,
    write_as,
)
from crmkit_dms.routing import records, service
from crmkit_dms.routing.access import ASSIGNMENT_READ, ASSIGNMENT_RESPOND, LEAD_ROUTE
from crmkit_dms.routing.bodies import DeclineInput, OutcomeInput, RouteInput
from crmkit_dms.routing.by_hand import FACTS, route_by_hand
from crmkit_dms.routing.model import STATES, Assignment

T = TypeVar("T")
PAGE_LIMIT = 500
PAGING = (
    Param("cursor", str, "The next_cursor of the page before"),
    Param("limit", int, f"At most this many (1 to {PAGE_LIMIT}, default 50)"),
)


def _number(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    return None if raw is None else parse_whole_number(name, raw, minimum=1)


def _paging(request: Request) -> tuple[str | None, int]:
    raw = request.query_params.get("limit")
    limit = 50 if raw is None else parse_whole_number("limit", raw, minimum=1, maximum=PAGE_LIMIT)
    return request.query_params.get("cursor"), limit


def _id(request: Request, name: str = "assignment_id") -> int:
    value: int = request.path_params[name]
    return value


async def _respond(request: Request, work: Callable[[Transaction], T]) -> Response:
    return json_response(crm_of(request), await write_as(request, ASSIGNMENT_RESPOND, work))


@operation(
    "Lead assignments you see, newest first: staff those of parties they see, a partner "
    "user its partner's",
    response=Page[Assignment],
    query=(
        Param("state", str, f"Only this state ({', '.join(STATES)})"),
        Param("partner_id", int, "Only offers to this partner"),
        Param("party_id", int, "Only this lead's assignments"),
        *PAGING,
    ),
)
def dms_list_assignments(request: Request) -> Response:
    check_query(request, ("state", "partner_id", "party_id", "cursor", "limit"))
    state = request.query_params.get("state")
    if state is not None and state not in STATES:
        raise ValidationError("state", f"expected one of {', '.join(STATES)}")
    partner_id, party_id = _number(request, "partner_id"), _number(request, "party_id")
    cursor, limit = _paging(request)

    def work(tx: Transaction) -> Page[Assignment]:
        return records.list_assignments(
            tx, state=state, partner_id=partner_id, party_id=party_id, cursor=cursor, limit=limit
        )

    return json_response(crm_of(request), read_as(request, ASSIGNMENT_READ, work))


@operation("One lead assignment", response=Assignment, errors=(404,))
def dms_get_assignment(request: Request) -> Response:
    check_query(request)
    assignment_id = _id(request)
    found = read_as(request, ASSIGNMENT_READ, lambda tx: records.get_assignment(tx, assignment_id))
    return json_response(crm_of(request), found)


@operation(
    "Accept a lead offered to your partner before its deadline",
    response=Assignment,
    errors=(404, 409),
    description="409 when the offer is no longer open: past its accept_by, declined, "
    "or answered already.",
)
async def dms_accept_assignment(request: Request) -> Response:
    assignment_id = _id(request)
    return await _respond(request, lambda tx: service.accept(tx, assignment_id))


@operation(
    "Decline a lead offered to your partner; it is offered to the next partner at once",
    request=DeclineInput,
    response=Assignment,
    errors=(404, 409),
)
async def dms_decline_assignment(request: Request) -> Response:
    body, assignment_id = await read_object(request), _id(request)
    check_fields(body, ("reason",))
    return await _respond(
        request, lambda tx: service.decline(tx, assignment_id, body.get("reason", ""))
    )


@operation(
    "Report what came of a lead: contacted, appointment, sold, or lost with a reason",
    request=OutcomeInput,
    response=Assignment,
    errors=(404, 409),
    description="The outcome the lead has already, or an earlier one, changes nothing "
    "(answered with the assignment as it is); 409 for a closed assignment.",
)
async def dms_report_outcome(request: Request) -> Response:
    body, assignment_id = await read_object(request), _id(request)
    check_fields(body, ("outcome", "reason"))
    return await _respond(
        request,
        lambda tx: service.report_outcome(
            tx, assignment_id, body.get("outcome", ""), body.get("reason")
        ),
    )


@operation(
    "Route or reroute a lead by hand (to the best partner, or the one named)",
    request=RouteInput,
    response=Assignment,
    status=201,
    errors=(404, 409),
    description="Brand, country, postcode and vehicle left out are the lead's own (its "
    "latest assignment's; the party's address when none names a region). Closes the lead's "
    "open assignment as rerouted. With no partner covering it the lead goes to the fallback "
    "queue (state unrouted).",
)
async def dms_route_lead(request: Request) -> Response:
    body, party_id = await read_object(request), _id(request, "party_id")
    check_fields(body, (*FACTS, "partner_id"))
    partner = body.get("partner_id")

    def work(tx: Transaction) -> Assignment:
        return route_by_hand(
            tx,
            party_id,
            body,
            partner_id=None if partner is None else read_id("partner_id", partner),
            source="api",
        )

    return json_response(crm_of(request), await write_as(request, LEAD_ROUTE, work), 201)


@operation(
    "The fallback queue: leads no partner covers or took, waiting to be routed by hand",
    response=Page[Assignment],
    query=PAGING,
)
def dms_fallback_queue(request: Request) -> Response:
    check_query(request, ("cursor", "limit"))
    cursor, limit = _paging(request)

    def work(tx: Transaction) -> Page[Assignment]:
        return records.list_assignments(tx, queued=True, cursor=cursor, limit=limit)

    return json_response(crm_of(request), read_as(request, LEAD_ROUTE, work))


ASSIGNMENT = "/assignments/{assignment_id:id}"

ROUTES: list[BaseRoute] = [
    Route("/assignments", dms_list_assignments),
    Route(ASSIGNMENT, dms_get_assignment),
    Route(f"{ASSIGNMENT}/accept", dms_accept_assignment, methods=["POST"]),
    Route(f"{ASSIGNMENT}/decline", dms_decline_assignment, methods=["POST"]),
    Route(f"{ASSIGNMENT}/outcome", dms_report_outcome, methods=["POST"]),
    Route("/leads/{party_id:id}/route", dms_route_lead, methods=["POST"]),
    Route("/fallback", dms_fallback_queue),
]
