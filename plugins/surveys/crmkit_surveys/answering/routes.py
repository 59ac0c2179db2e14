"""The answering part's JSON API: a survey's responses, one response with its answers.

A response of a party the reader may not see is left out of lists and is "not found" by
id; a role without ``surveys:response.read`` is forbidden.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import Page, Transaction, parse_whole_number, read_choice, read_date
from crmkit.web import Param, check_query, crm_of, json_response, operation, read_as
from crmkit_surveys.answering import queries
from crmkit_surveys.answering.access import RESPONSE_READ
from crmkit_surveys.answering.model import Response as SurveyResponse
from crmkit_surveys.answering.model import ResponseDetail
from crmkit_surveys.answering.tables import STATUSES

LIST_LIMIT = 200
LIST_PARAMS = ("status", "since", "cursor", "limit")


def list_filters(params: Any) -> dict[str, Any]:
    """``status`` and ``since`` (a day, from its start in UTC) of a list of responses."""
    found: dict[str, Any] = {}
    if params.get("status"):
        found["status"] = read_choice("status", params["status"], STATUSES)
    if params.get("since"):
        day = read_date("since", params["since"])
        found["since"] = datetime.combine(day, time(0), UTC)
    return found


@operation(
    "A survey's responses the reader sees, newest first",
    response=Page[SurveyResponse],
    query=(
        Param("status", str, "partial or completed"),
        Param("since", str, "Only those changed on or after this day (YYYY-MM-DD, UTC)"),
        Param("cursor", str, "The next_cursor of the page before"),
        Param("limit", int, f"At most this many (1 to {LIST_LIMIT}, default 50)"),
    ),
    description="Responses of parties the reader may not see are left out; anonymous ones "
    "(an open link, an erased party) are listed.",
)
def list_survey_responses(request: Request) -> Response:
    check_query(request, LIST_PARAMS)
    params = request.query_params
    survey_id: int = request.path_params["survey_id"]
    filters = list_filters(params)
    limit = 50
    if params.get("limit"):
        limit = parse_whole_number("limit", params["limit"], minimum=1, maximum=LIST_LIMIT)

    def work(tx: Transaction) -> Page[SurveyResponse]:
        return queries.list_responses(
            tx.conn,
            tx.hooks,
            tx.actor,
            survey_id,
            cursor=params.get("cursor") or None,
            limit=limit,
            **filters,
        )

    return json_response(crm_of(request), read_as(request, RESPONSE_READ, work))


@operation(
    "A response with its answers, the questions' texts in the response's language",
    response=ResponseDetail,
    description="A response of a party the reader may not see is answered 404.",
)
def get_response(request: Request) -> Response:
    check_query(request)
    response_id: int = request.path_params["response_id"]
    found = read_as(
        request,
        RESPONSE_READ,
        lambda tx: queries.response_detail(tx.conn, tx.hooks, tx.actor, response_id),
    )
    return json_response(crm_of(request), found)


ROUTES: list[BaseRoute] = [
    Route("/surveys/{survey_id:id}/responses", list_survey_responses, methods=["GET"]),
    Route("/responses/{response_id:id}", get_response, methods=["GET"]),
]
