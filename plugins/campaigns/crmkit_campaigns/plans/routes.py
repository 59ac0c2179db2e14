"""The plans part's JSON API under /p/campaigns/: plans, their targets and actuals."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import Transaction, ValidationError, parse_whole_number, utcnow
from crmkit.web import (
    Param,
    check_query,
    crm_of,
    json_response,
    operation,
    optional_version,
    read_as,
    read_object,
    write_as,
)
from crmkit_campaigns.plans import service
from crmkit_campaigns.plans.access import PLAN_READ, PLAN_WRITE
from crmkit_campaigns.plans.bodies import PlanChanges, PlanInput
from crmkit_campaigns.plans.progress import PlanProgress, plan_progress
from crmkit_campaigns.plans.service import Plan, PlanSummary


@operation(
    "Marketing plans, latest start first",
    response=list[PlanSummary],
    query=(Param("running", str, "true: only the plans whose months include today"),),
)
def list_plans(request: Request) -> Response:
    check_query(request, ("running",))
    running = request.query_params.get("running")
    if running not in (None, "true", "false"):
        raise ValidationError("running", "expected true or false")
    zone = ZoneInfo(crm_of(request).settings_of["campaigns"].plans.time_zone)
    today = utcnow().astimezone(zone).date() if running == "true" else None
    plans = read_as(request, PLAN_READ, lambda tx: service.list_plans(tx.conn, running_on=today))
    return json_response(crm_of(request), plans)


@operation("Create a marketing plan with its targets", request=PlanInput, response=Plan, status=201)
async def post_plan(request: Request) -> Response:
    body = await read_object(request)
    created = await write_as(request, PLAN_WRITE, lambda tx: service.create_plan(tx, body))
    return json_response(crm_of(request), created, 201)


def progress_of(request: Request, plan_id: int) -> PlanProgress:
    """The plan with every target's actual so far, counted over the parties the actor sees."""
    settings = crm_of(request).settings_of["campaigns"].plans

    def work(tx: Transaction) -> PlanProgress:
        found = service.get_plan(tx.conn, plan_id)
        return plan_progress(tx.hooks, tx.conn, tx.actor, found, utcnow(), settings)

    return read_as(request, PLAN_READ, work)


@operation(
    "A marketing plan: its targets with actuals, the expectation to date and a status",
    response=PlanProgress,
    errors=(404,),
)
def get_plan(request: Request) -> Response:
    check_query(request, ())
    return json_response(crm_of(request), progress_of(request, request.path_params["plan_id"]))


@operation(
    "Change a marketing plan; targets given replace its targets",
    request=PlanChanges,
    response=Plan,
    errors=(404, 409),
)
async def patch_plan(request: Request) -> Response:
    body = await read_object(request)
    version = optional_version(body)
    body.pop("version", None)

    def work(tx: Transaction) -> Plan:
        return service.update_plan(tx, request.path_params["plan_id"], body, version)

    return json_response(crm_of(request), await write_as(request, PLAN_WRITE, work))


@operation(
    "Delete a marketing plan",
    query=(Param("version", int, "The version last read", required=True),),
    status=204,
    errors=(404, 409),
)
async def delete_plan(request: Request) -> Response:
    check_query(request, ("version",))
    raw = request.query_params.get("version")
    version = None if raw is None else parse_whole_number("version", raw, minimum=1)
    await write_as(
        request,
        PLAN_WRITE,
        lambda tx: service.delete_plan(tx, request.path_params["plan_id"], version),
    )
    return Response(status_code=204)


ROUTES: list[BaseRoute] = [
    Route("/plans", list_plans),
    Route("/plans", post_plan, methods=["POST"]),
    Route("/plans/{plan_id:id}", get_plan),
    Route("/plans/{plan_id:id}", patch_plan, methods=["PATCH"]),
    Route("/plans/{plan_id:id}", delete_plan, methods=["DELETE"]),
]
