"""The rollups part's admin page: the sources, when each was rebuilt, a rebuild button."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import MenuItem, Transaction, read_text
from crmkit.web import check_query, page_response, read_as, submit
from crmkit_analytics.rollups import feed
from crmkit_analytics.rollups.access import ROLLUPS_ADMIN

PAGE = "/p/analytics/rollups/page"

MENU = [MenuItem("Analytics sources", PAGE, ROLLUPS_ADMIN, order=92)]


def _show(
    request: Request, *, error: str | None = None, status: int = 200, done: str = ""
) -> Response:
    found = read_as(request, ROLLUPS_ADMIN, lambda tx: feed.states(tx.app, tx.conn))
    return page_response(
        request, "analytics/rollups.html", status=status, sources=found, error=error, done=done
    )


def rollups_page(request: Request) -> Response:
    check_query(request, ("rebuilt",))
    done = read_text("rebuilt", request.query_params.get("rebuilt"), limit=80) or ""
    return _show(request, done=done)


async def post_rebuild(request: Request) -> Response:
    def act(tx: Transaction, form: dict[str, str]) -> str:
        name = read_text("source", form.get("source"), limit=80)
        feed.rebuild_in(tx, name)
        return f"{PAGE}?rebuilt={name or 'all'}"

    def refused(request: Request, form: dict[str, str], error: Any, status: int) -> Response:
        return _show(request, error=str(error), status=status)

    return await submit(request, ROLLUPS_ADMIN, act, refused)


ROUTES: list[BaseRoute] = [
    Route("/rollups/page", rollups_page, methods=["GET"]),
    Route("/rollups/page/rebuild", post_rebuild, methods=["POST"]),
]
