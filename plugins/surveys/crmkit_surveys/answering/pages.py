"""The answering part's pages: the answer pages for respondents (``public.py``), and for staff
a survey's responses and one response with its answers, a link to the party and to the case
the service plugin opened from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Connection, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import Transaction, party_table
from crmkit.web import check_query, page_response, read_as
from crmkit_surveys.answering import queries
from crmkit_surveys.answering.access import RESPONSE_READ
from crmkit_surveys.answering.public import ROUTES as PUBLIC_ROUTES
from crmkit_surveys.answering.routes import LIST_PARAMS, list_filters
from crmkit_surveys.answering.tables import STATUSES
from crmkit_surveys.definitions.service import get_survey

PAGE_SIZE = 50
CASE_PAGES = {"service.case": "/p/service/cases/{}/page"}
"""Where the record a response's ``case_ref`` names is shown, by its kind."""


def case_link(case_ref: str | None) -> str | None:
    if not case_ref:
        return None
    kind, _, record_id = case_ref.partition(":")
    page = CASE_PAGES.get(kind)
    return None if page is None or not record_id.isdigit() else page.format(record_id)


def party_names(conn: Connection, party_ids: Iterable[int | None]) -> dict[int, str]:
    """The display names of these parties, which the caller has checked the reader sees."""
    wanted = {i for i in party_ids if i is not None}
    if not wanted:
        return {}
    rows = conn.execute(
        select(party_table.c.id, party_table.c.display_name).where(party_table.c.id.in_(wanted))
    )
    return {row.id: row.display_name for row in rows}


def responses_page(request: Request) -> Response:
    """A survey's responses the reader sees, newest first, by status and since a day."""
    check_query(request, LIST_PARAMS)
    params = request.query_params
    survey_id: int = request.path_params["survey_id"]
    filters = list_filters(params)

    def work(tx: Transaction) -> dict[str, Any]:
        page = queries.list_responses(
            tx.conn,
            tx.hooks,
            tx.actor,
            survey_id,
            cursor=params.get("cursor") or None,
            limit=PAGE_SIZE,
            **filters,
        )
        return {
            "survey": get_survey(tx.conn, survey_id),
            "page": page,
            "names": party_names(tx.conn, (r.party_id for r in page.items)),
            "scores": queries.headline_scores(tx.conn, survey_id, page.items),
        }

    found = read_as(request, RESPONSE_READ, work)
    same = {k: v for k, v in params.items() if k in ("status", "since") and v}
    next_url = None
    if found["page"].next_cursor is not None:
        next_url = "?" + urlencode({**same, "cursor": found["page"].next_cursor})
    return page_response(
        request,
        "surveys/answering/responses.html",
        **found,
        statuses=STATUSES,
        chosen=same,
        next_url=next_url,
        case_link=case_link,
    )


def response_page(request: Request) -> Response:
    """A response's answers, the party who gave them and the case they opened."""
    check_query(request)
    response_id: int = request.path_params["response_id"]

    def work(tx: Transaction) -> dict[str, Any]:
        detail = queries.response_detail(tx.conn, tx.hooks, tx.actor, response_id)
        return {
            "detail": detail,
            "names": party_names(tx.conn, [detail.response.party_id]),
        }

    found = read_as(request, RESPONSE_READ, work)
    return page_response(
        request,
        "surveys/answering/response.html",
        **found,
        case_url=case_link(found["detail"].response.case_ref),
    )


ROUTES: list[BaseRoute] = [
    *PUBLIC_ROUTES,
    Route("/page/surveys/{survey_id:id}/responses", responses_page, methods=["GET"]),
    Route("/page/responses/{response_id:id}", response_page, methods=["GET"]),
]
