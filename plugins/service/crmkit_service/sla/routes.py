"""JSON routes of SLAs under ``/p/service/sla/``: calendars, policies, a case's clocks, the work
list and compliance. A case whose party the actor may not see is not found (404).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import (
    Actor,
    Crm,
    Transaction,
    ValidationError,
    parse_whole_number,
    require,
    utcnow,
)
from crmkit.web import (
    Param,
    actor_of,
    crm_of,
    json_response,
    operation,
    read_as,
    read_object,
    write_as,
)
from crmkit_service.cases.service import get_case
from crmkit_service.sla import calendar_admin, calendar_store, policies
from crmkit_service.sla.access import ADMIN, READ
from crmkit_service.sla.bodies import CalendarInput, CalendarView, PolicyInput
from crmkit_service.sla.breach_list import MAX_BREACHES, Breach, breaches
from crmkit_service.sla.clocks import Clock, clocks_of_case
from crmkit_service.sla.periods import Period, quarter_of, read_period
from crmkit_service.sla.policies import Policy
from crmkit_service.sla.worklist import MAX_ITEMS, Compliance, WorkItem, compliance, work_list
from crmkit_service.web import query_limit

OWNER_PARAM = Param(
    "owner_id", int, "Whose work list (default: yours; others' need service:sla.admin)"
)
LIMIT_PARAM = Param("limit", int, f"How many cases, 1 to {MAX_ITEMS} (default 50)")
PERIOD_PARAM = Param("period", str, "2026, 2026-Q4 or 2026-11 (default: this quarter)")
TEAM_PARAM = Param("team", str, "Only this team")


def owner_from(crm: Crm, actor: Actor, given: str | None) -> int:
    """The user whose work list is asked for: the actor's own unless they may see others'."""
    if given is None:
        if actor.user_id is None:
            raise ValidationError("owner_id", "name the user whose work list to show")
        return actor.user_id
    owner_id = parse_whole_number("owner_id", given, minimum=1)
    if owner_id != actor.user_id:
        require(crm.host, actor, ADMIN)
    return owner_id


def period_from(given: str | None) -> Period:
    return quarter_of(utcnow().date()) if given is None else read_period("period", given)


def team_from(given: str | None) -> str | None:
    if given is not None and not 1 <= len(given) <= 100:
        raise ValidationError("team", "expected a team name of 1 to 100 characters")
    return given


# --- Work list and compliance


@operation(
    "Open cases by SLA due time: the soonest due first, those waiting on the customer last",
    response=list[WorkItem],
    query=(OWNER_PARAM, LIMIT_PARAM),
)
def get_work_list(request: Request) -> Response:
    crm, actor, params = crm_of(request), actor_of(request), request.query_params
    require(crm.host, actor, READ)
    owner_id = owner_from(crm, actor, params.get("owner_id"))
    limit = query_limit(request, 50, MAX_ITEMS)
    with crm.read() as conn:
        items = work_list(conn, crm.host, actor, owner_id, limit)
    return json_response(crm, items)


@operation(
    "SLA compliance per team and target for the cases opened in a period",
    response=list[Compliance],
    query=(PERIOD_PARAM, TEAM_PARAM),
)
def get_compliance(request: Request) -> Response:
    crm, actor, params = crm_of(request), actor_of(request), request.query_params
    require(crm.host, actor, READ)
    period, team = period_from(params.get("period")), team_from(params.get("team"))
    with crm.read() as conn:
        rows = compliance(conn, crm.host, actor, period, team)
    return json_response(crm, rows)


@operation(
    "Missed SLA targets of a period, the newest first, with the penalty each carries",
    response=list[Breach],
    query=(
        PERIOD_PARAM,
        TEAM_PARAM,
        Param("limit", int, f"How many, 1 to {MAX_BREACHES} (default 100)"),
    ),
)
def get_breaches(request: Request) -> Response:
    crm, actor, params = crm_of(request), actor_of(request), request.query_params
    require(crm.host, actor, READ)
    period, team = period_from(params.get("period")), team_from(params.get("team"))
    limit = query_limit(request, 100, MAX_BREACHES)
    with crm.read() as conn:
        found = breaches(conn, crm.host, actor, period, team, limit)
    return json_response(crm, found)


@operation("The SLA clocks of a case", response=list[Clock], errors=(404,))
def get_case_clocks(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)

    def work(tx: Transaction) -> list[Clock]:
        found = get_case(tx.conn, actor, request.path_params["case_id"], host=crm.host)
        return list(clocks_of_case(tx.conn, found.id).values())

    return json_response(crm, read_as(request, READ, work))


# --- Calendars


@operation("Business-hour calendars", response=list[CalendarView])
def list_calendars(request: Request) -> Response:
    found = read_as(request, READ, lambda tx: calendar_store.list_calendars(tx.conn))
    return json_response(crm_of(request), [CalendarView.of(c) for c in found])


@operation(
    "Add a business-hour calendar",
    request=CalendarInput,
    response=CalendarView,
    status=201,
    errors=(409,),
)
async def post_calendar(request: Request) -> Response:
    body = await read_object(request)
    created = await write_as(request, ADMIN, lambda tx: calendar_admin.create_calendar(tx, body))
    return json_response(crm_of(request), CalendarView.of(created), 201)


@operation("One calendar", response=CalendarView, errors=(404,))
def get_calendar(request: Request) -> Response:
    calendar_id = request.path_params["calendar_id"]
    found = read_as(request, READ, lambda tx: calendar_store.get_calendar(tx.conn, calendar_id))
    return json_response(crm_of(request), CalendarView.of(found))


@operation("Replace a calendar", request=CalendarInput, response=CalendarView, errors=(404, 409))
async def put_calendar(request: Request) -> Response:
    body, calendar_id = await read_object(request), request.path_params["calendar_id"]
    changed = await write_as(
        request, ADMIN, lambda tx: calendar_admin.update_calendar(tx, calendar_id, body)
    )
    return json_response(crm_of(request), CalendarView.of(changed))


@operation("Delete a calendar", status=204, errors=(404,))
async def delete_calendar(request: Request) -> Response:
    calendar_id = request.path_params["calendar_id"]
    await write_as(request, ADMIN, lambda tx: calendar_admin.delete_calendar(tx, calendar_id))
    return Response(status_code=204)


# --- Policies


@operation("SLA policies", response=list[Policy])
def list_policies(request: Request) -> Response:
    return json_response(
        crm_of(request), read_as(request, READ, lambda tx: policies.list_policies(tx.conn))
    )


@operation("Add an SLA policy", request=PolicyInput, response=Policy, status=201, errors=(409,))
async def post_policy(request: Request) -> Response:
    body = await read_object(request)
    created = await write_as(request, ADMIN, lambda tx: policies.create_policy(tx, body))
    return json_response(crm_of(request), created, 201)


@operation("One SLA policy", response=Policy, errors=(404,))
def get_policy(request: Request) -> Response:
    policy_id = request.path_params["policy_id"]
    return json_response(
        crm_of(request), read_as(request, READ, lambda tx: policies.get_policy(tx.conn, policy_id))
    )


@operation("Replace an SLA policy", request=PolicyInput, response=Policy, errors=(404, 409))
async def put_policy(request: Request) -> Response:
    body, policy_id = await read_object(request), request.path_params["policy_id"]
    changed = await write_as(request, ADMIN, lambda tx: policies.update_policy(tx, policy_id, body))
    return json_response(crm_of(request), changed)


@operation("Delete an SLA policy (clocks under it keep their targets)", status=204, errors=(404,))
async def delete_policy(request: Request) -> Response:
    policy_id = request.path_params["policy_id"]
    await write_as(request, ADMIN, lambda tx: policies.delete_policy(tx, policy_id))
    return Response(status_code=204)


ROUTES: list[BaseRoute] = [
    Route("/sla/work-list", get_work_list),
    Route("/sla/compliance", get_compliance),
    Route("/sla/breaches", get_breaches),
    Route("/cases/{case_id:id}/sla", get_case_clocks),
    Route("/sla/calendars", list_calendars),
    Route("/sla/calendars", post_calendar, methods=["POST"]),
    Route("/sla/calendars/{calendar_id:id}", get_calendar),
    Route("/sla/calendars/{calendar_id:id}", put_calendar, methods=["PUT"]),
    Route("/sla/calendars/{calendar_id:id}", delete_calendar, methods=["DELETE"]),
    Route("/sla/policies", list_policies),
    Route("/sla/policies", post_policy, methods=["POST"]),
    Route("/sla/policies/{policy_id:id}", get_policy),
    Route("/sla/policies/{policy_id:id}", put_policy, methods=["PUT"]),
    Route("/sla/policies/{policy_id:id}", delete_policy, methods=["DELETE"]),
]
