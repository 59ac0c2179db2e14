"""The partners part's JSON API under ``/p/dms/``: partners, their users and performance."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import Transaction, ValidationError, parse_whole_number, read_choice, read_date, utcnow
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
from crmkit_dms.partners import service
from crmkit_dms.partners.access import PARTNER_READ, PARTNER_WRITE
from crmkit_dms.partners.bodies import PartnerChanges, PartnerInput, PartnerUserInput
from crmkit_dms.partners.model import Partner
from crmkit_dms.partners.performance import PERIODS, Performance, performance
from crmkit_dms.partners.service import PartnerDetail, PartnerUser

MAX_PERFORMANCE_DAYS = 3 * 366


@operation(
    "Partners by code",
    response=list[Partner],
    query=(Param("active", str, "true or false: only active or only inactive partners"),),
)
def list_partners(request: Request) -> Response:
    check_query(request, ("active",))
    raw = request.query_params.get("active")
    active = None if raw is None else read_choice("active", raw, ("true", "false")) == "true"
    found = read_as(request, PARTNER_READ, lambda tx: service.list_partners(tx.conn, active=active))
    return json_response(crm_of(request), found)


@operation(
    "Create a partner with its brands and regions",
    request=PartnerInput,
    response=PartnerDetail,
    status=201,
)
async def post_partner(request: Request) -> Response:
    body = await read_object(request)
    created = await write_as(request, PARTNER_WRITE, lambda tx: service.create_partner(tx, body))
    return json_response(crm_of(request), created, 201)


@operation("A partner with its regions and users", response=PartnerDetail, errors=(404,))
def get_partner(request: Request) -> Response:
    check_query(request, ())
    partner_id: int = request.path_params["partner_id"]
    found = read_as(request, PARTNER_READ, lambda tx: service.partner_detail(tx.conn, partner_id))
    return json_response(crm_of(request), found)


@operation(
    "Change a partner (brands and regions are replaced whole when given)",
    request=PartnerChanges,
    response=PartnerDetail,
    errors=(404, 409),
)
async def patch_partner(request: Request) -> Response:
    body = await read_object(request)
    version = optional_version(body)
    body.pop("version", None)
    partner_id: int = request.path_params["partner_id"]

    def work(tx: Transaction) -> PartnerDetail:
        return service.update_partner(tx, partner_id, body, version)

    return json_response(crm_of(request), await write_as(request, PARTNER_WRITE, work))


@operation(
    "Delete a partner never offered a lead (409 otherwise: deactivate it instead)",
    query=(Param("version", int, "The version last read", required=True),),
    status=204,
    errors=(404, 409),
)
async def delete_partner(request: Request) -> Response:
    check_query(request, ("version",))
    raw = request.query_params.get("version")
    version = None if raw is None else parse_whole_number("version", raw, minimum=1)
    partner_id: int = request.path_params["partner_id"]
    await write_as(
        request, PARTNER_WRITE, lambda tx: service.delete_partner(tx, partner_id, version)
    )
    return Response(status_code=204)


@operation(
    "Link a user of the partner role to the partner: they see its leads and nothing else",
    request=PartnerUserInput,
    response=PartnerUser,
    status=201,
    errors=(404,),
)
async def post_partner_user(request: Request) -> Response:
    body = await read_object(request)
    partner_id: int = request.path_params["partner_id"]
    added = await write_as(
        request, PARTNER_WRITE, lambda tx: service.add_partner_user(tx, partner_id, body)
    )
    return json_response(crm_of(request), added, 201)


@operation("Unlink a user from the partner", status=204, errors=(404,))
async def delete_partner_user(request: Request) -> Response:
    check_query(request, ())
    partner_id: int = request.path_params["partner_id"]
    user_id: int = request.path_params["user_id"]
    await write_as(
        request, PARTNER_WRITE, lambda tx: service.remove_partner_user(tx, partner_id, user_id)
    )
    return Response(status_code=204)


def performance_window(params: dict[str, str]) -> tuple[str, datetime, datetime]:
    """``period`` (day by default) and the days ``start`` to ``end`` (both included; the
    last 30 days by default) of a performance request, as UTC instants."""
    period = read_choice("period", params.get("period", "day"), PERIODS)
    today = utcnow().date()
    end_day = read_date("end", params["end"]) if params.get("end") else today
    start_day = (
        read_date("start", params["start"]) if params.get("start") else end_day - timedelta(days=29)
    )
    if start_day > end_day:
        raise ValidationError("start", "must not be after end")
    if (end_day - start_day).days > MAX_PERFORMANCE_DAYS:
        raise ValidationError("start", f"the window is at most {MAX_PERFORMANCE_DAYS} days")
    start = datetime.combine(start_day, time(0), UTC)
    end = datetime.combine(end_day + timedelta(days=1), time(0), UTC)
    return period, start, end


@operation(
    "A partner's figures per period: leads received, accepted, declined, expired, sold, "
    "median times to accept and to first contact, conversion",
    response=list[Performance],
    query=(
        Param("period", str, f"{', '.join(PERIODS)} (default day)"),
        Param("start", str, "First day (YYYY-MM-DD, UTC; default 29 days before end)"),
        Param("end", str, "Last day (YYYY-MM-DD, UTC; default today)"),
    ),
    errors=(404,),
)
def get_performance(request: Request) -> Response:
    check_query(request, ("period", "start", "end"))
    partner_id: int = request.path_params["partner_id"]
    period, start, end = performance_window(dict(request.query_params))

    def work(tx: Transaction) -> list[Performance]:
        service.require_partner(tx.conn, partner_id)
        return performance(tx.conn, partner_id, period, start, end)

    return json_response(crm_of(request), read_as(request, PARTNER_READ, work))


ROUTES: list[BaseRoute] = [
    Route("/partners", list_partners, methods=["GET"]),
    Route("/partners", post_partner, methods=["POST"]),
    Route("/partners/{partner_id:id}", get_partner, methods=["GET"]),
    Route("/partners/{partner_id:id}", patch_partner, methods=["PATCH"]),
    Route("/partners/{partner_id:id}", delete_partner, methods=["DELETE"]),
    Route("/partners/{partner_id:id}/users", post_partner_user, methods=["POST"]),
    Route("/partners/{partner_id:id}/users/{user_id:id}", delete_partner_user, methods=["DELETE"]),
    Route("/partners/{partner_id:id}/performance", get_performance, methods=["GET"]),
]
