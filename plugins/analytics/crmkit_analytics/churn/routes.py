"""The churn part's JSON API under ``/p/analytics/``: the work list of customers at risk.

A sales rep gets their own customers only, a manager those the record rules let them see, an
admin everyone (see :func:`service.work_list`).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import parse_whole_number
from crmkit.web import Param, check_query, crm_of, json_response, operation, read_as
from crmkit_analytics.churn import service
from crmkit_analytics.churn.access import READ
from crmkit_analytics.churn.service import AtRisk

MAX_LIMIT = 500


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit")
    return 50 if raw is None else parse_whole_number("limit", raw, minimum=1, maximum=MAX_LIMIT)


@operation(
    "Customers at risk of leaving, riskiest first, with the reasons",
    response=list[AtRisk],
    query=(
        Param("owner_id", int, "Only this account owner's customers"),
        Param("limit", int, f"At most this many (1 to {MAX_LIMIT}, default 50)"),
    ),
)
def analytics_churn_list(request: Request) -> Response:
    check_query(request, ("owner_id", "limit"))
    raw_owner = request.query_params.get("owner_id")
    owner_id = None if raw_owner is None else parse_whole_number("owner_id", raw_owner, minimum=1)
    limit = _limit(request)
    found = read_as(request, READ, lambda tx: service.work_list(tx, limit=limit, owner_id=owner_id))
    return json_response(crm_of(request), found)


ROUTES: list[BaseRoute] = [
    Route("/churn", analytics_churn_list, methods=["GET"]),
]
