"""The kernel's read-only JSON API under ``/api/v1/``: health, prospects and customers, timelines.

Handlers are plain functions: Starlette runs them in its thread pool, so their
database work never blocks the event loop.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from crmkit.web.context import actor_of, crm_of
from crmkit.web.listing import (
    DEFAULT_LIMIT,
    check_parameters,
    int_parameter,
    list_visible_parties,
    parse_party_query,
    visible_party,
    visible_timeline,
)
from crmkit.web.payloads import json_response

log = logging.getLogger(__name__)


def health(request: Request) -> Response:
    """Whether the database answers, and the state of every plugin that is not disabled (no login)."""
    crm = crm_of(request)
    try:
        with crm.read() as conn:
            conn.execute(select(1))
        database = "ok"
    except SQLAlchemyError:
        # The reason may name hosts and users; it goes to the log, not to anonymous callers.
        log.exception("health check: the database does not answer")
        database = "unreachable"
    plugins = [
        {"name": s.name, "version": s.version, "state": s.state}
        for s in crm.host.statuses.values()
        if s.state != "disabled"
    ]
    ok = database == "ok"
    return JSONResponse(
        {"status": "ok" if ok else "unavailable", "database": database, "plugins": plugins},
        status_code=200 if ok else 503,
    )


def _parties(role: str) -> Route:
    def endpoint(request: Request) -> Response:
        crm, actor = crm_of(request), actor_of(request)
        query = parse_party_query(request.query_params)
        with crm.read() as conn:
            page = list_visible_parties(crm, conn, actor, role, query)
        return json_response(crm, page)

    return Route(f"/{role}s", endpoint, name=f"api_{role}s")


def party_detail(request: Request) -> Response:
    """One prospect or customer with its contact points and custom fields."""
    crm, actor = crm_of(request), actor_of(request)
    check_parameters(request.query_params, ())
    with crm.read() as conn:
        entity = visible_party(crm, conn, actor, request.path_params["party_id"])
    return json_response(crm, entity)


def party_timeline(request: Request) -> Response:
    """A page of the party's timeline, newest first; ``cursor`` and ``limit`` as in lists."""
    crm, actor = crm_of(request), actor_of(request)
    params = request.query_params
    check_parameters(params, ("cursor", "limit"))
    with crm.read() as conn:
        entity = visible_party(crm, conn, actor, request.path_params["party_id"])
        page = visible_timeline(
            crm,
            conn,
            actor,
            entity,
            cursor=params.get("cursor") or None,
            limit=int_parameter(params, "limit", DEFAULT_LIMIT),
        )
    return json_response(crm, page)


ROUTES: list[BaseRoute] = [
    Mount(
        "/api/v1",
        routes=[
            Route("/health", health, name="api_health"),
            _parties("customer"),
            _parties("prospect"),
            Route("/parties/{party_id:int}", party_detail, name="api_party"),
            Route("/parties/{party_id:int}/timeline", party_timeline, name="api_timeline"),
        ],
    )
]
