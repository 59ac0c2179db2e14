"""JSON routes of planning, under ``/p/sfa/``: targets with their attainment, the forecast."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import ClassVar, Literal, TypeVar

from attrs import field, frozen
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import Actor, Crm, Transaction, is_allowed, parse_whole_number, require, utcnow
from crmkit.web import Param, actor_of, crm_of, json_response, operation, read_object
from crmkit_sfa.planning import forecast, targets
from crmkit_sfa.planning.access import EVERY_SCOPE, READ, WRITE
from crmkit_sfa.planning.periods import Period, parse_period, period_of
from crmkit_sfa.planning.scopes import EVERYBODY, Scope, check_scope, parse_scope

T = TypeVar("T")


@frozen
class TargetInput:
    """A target: ``value`` is an amount (a string, e.g. "25000.00") in ``currency``, or a count."""

    __json_input__: ClassVar[bool] = True

    scope: Literal["user", "team", "territory", "product_group"]
    scope_key: str = field(metadata={"json": {"maxLength": 100}})
    period: str = field(metadata={"json": {"pattern": r"^\d{4}(-Q[1-4]|-\d{2})?$", "maxLength": 7}})
    value: str | int = field(metadata={"json": {"maxLength": 40}})
    measure: Literal["amount", "count"] = "amount"
    currency: str | None = field(
        default=None, metadata={"json": {"pattern": "^[A-Z]{3}$", "maxLength": 3}}
    )
    owner_id: int | None = None
    version: int | None = None


PERIOD_PARAM = Param("period", str, "2026, 2026-Q4 or 2026-11 (default: this quarter)")
VERSION_PARAM = Param("version", int, "The version last read; a target changed since is kept (409)")
SCOPE_PARAMS = (
    Param("scope", str, "user, team, territory, product_group or all (default: your own)"),
    Param("scope_key", str, "The user id, team, territory or product group"),
)


def version_from(request: Request) -> int | None:
    """The ``version`` query parameter: the body of a DELETE has no defined meaning (RFC 9110)."""
    raw = request.query_params.get("version")
    return None if raw is None else parse_whole_number("version", raw, minimum=1)


def period_from(request: Request) -> Period:
    """The ``period`` asked for; without one, this quarter."""
    given = request.query_params.get("period")
    return parse_period("period", given) if given else period_of("quarter", utcnow().date())


def scope_from(request: Request, actor: Actor) -> Scope:
    """The scope asked for; without one, the actor's own figures (everybody's for the system)."""
    params = request.query_params
    if "scope" in params:
        return parse_scope(params["scope"], params.get("scope_key"))
    if actor.user_id is not None:
        return Scope("user", str(actor.user_id))
    return EVERYBODY


async def _write(request: Request, work: Callable[[Transaction], T]) -> T:
    crm, actor = crm_of(request), actor_of(request)

    def run() -> T:
        require(crm.host, actor, WRITE)
        with crm.transaction(actor) as tx:
            return work(tx)

    return await run_in_threadpool(run)


def visible_targets(
    crm: Crm, conn: Connection, actor: Actor, period: Period, scope: Scope | None, today: date
) -> list[targets.Attainment]:
    """The period's targets (of ``scope``, if given) that ``actor`` may see, with their attainment."""
    if scope is not None:
        check_scope(crm, actor, scope)
    sees_all = is_allowed(crm.host, actor, EVERY_SCOPE)
    return [
        targets.attainment(conn, item, today)
        for item in targets.list_targets(conn, period=period, scope=scope)
        if sees_all or (item.scope == "user" and item.scope_key == str(actor.user_id))
    ]


@operation(
    "Targets of a period with their attainment",
    response=list[targets.Attainment],
    query=(PERIOD_PARAM, *SCOPE_PARAMS),
)
def list_targets(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, READ)
    scope = scope_from(request, actor) if "scope" in request.query_params else None
    with crm.read() as conn:
        found = visible_targets(crm, conn, actor, period_from(request), scope, utcnow().date())
    return json_response(crm, found)


@operation("Set a target", request=TargetInput, response=targets.Target, status=201, errors=(409,))
async def create_target(request: Request) -> Response:
    data = await read_object(request)
    created = await _write(request, lambda tx: targets.create_target(tx, data))
    return json_response(crm_of(request), created, 201)


@operation("One target with its attainment", response=targets.Attainment, errors=(404,))
def read_target(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, READ)
    with crm.read() as conn:
        item = targets.get_target(conn, request.path_params["target_id"])
        check_scope(crm, actor, item.sold_by())
        return json_response(crm, targets.attainment(conn, item, utcnow().date()))


@operation("Change a target", request=TargetInput, response=targets.Target, errors=(404, 409))
async def change_target(request: Request) -> Response:
    data = await read_object(request)
    target_id = request.path_params["target_id"]
    changed = await _write(request, lambda tx: targets.update_target(tx, target_id, data))
    return json_response(crm_of(request), changed)


@operation("Delete a target", status=204, query=(VERSION_PARAM,), errors=(404, 409))
async def delete_target(request: Request) -> Response:
    target_id = request.path_params["target_id"]
    version = version_from(request)
    await _write(request, lambda tx: targets.delete_target(tx, target_id, version))
    return Response(status_code=204)


@operation(
    "Forecast of a period: pipeline, weighted, commit, best case and the change since last week",
    response=forecast.Forecast,
    query=(PERIOD_PARAM, *SCOPE_PARAMS),
)
def get_forecast(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, READ)
    period, scope = period_from(request), scope_from(request, actor)
    check_scope(crm, actor, scope)
    with crm.read() as conn:
        result = forecast.forecast(
            conn, period, scope, crm.settings_of["sfa"].planning, utcnow().date()
        )
    return json_response(crm, result)


ROUTES: list[BaseRoute] = [
    Route("/targets", list_targets),
    Route("/targets", create_target, methods=["POST"]),
    Route("/targets/{target_id:id}", read_target),
    Route("/targets/{target_id:id}", change_target, methods=["PUT"]),
    Route("/targets/{target_id:id}", delete_target, methods=["DELETE"]),
    Route("/forecast", get_forecast),
]
