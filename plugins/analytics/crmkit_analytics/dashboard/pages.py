"""The dashboard's pages: ``/p/analytics/`` (every tile the installed plugins feed, with the
filters) and ``/p/analytics/drill`` (the rollup cells behind a figure, when its source names no
list of its own)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import MenuItem, Transaction, ValidationError
from crmkit.web import actor_of, check_query, crm_of, page_response, read_as
from crmkit_analytics.dashboard import service
from crmkit_analytics.dashboard.access import DASHBOARD_READ
from crmkit_analytics.dashboard.charts import draw, number
from crmkit_analytics.dashboard.scope import PERIODS, filter_options
from crmkit_analytics.dashboard.tiles import feeders
from crmkit_analytics.rollups.reading import metrics
from crmkit_analytics.rollups.tables import rollup

BASE = "/p/analytics/"
MENU = [MenuItem("Dashboard", BASE, DASHBOARD_READ, order=5)]


def dashboard_page(request: Request) -> Response:
    """Every tile shown, for the filters of the query (default: this month)."""
    check_query(request, service.QUERY)
    crm, actor = crm_of(request), actor_of(request)
    query = dict(request.query_params)
    error: ValidationError | None = None
    try:
        filters = service.filters_of(query)
    except ValidationError as exc:  # the page again, this month's, saying what was wrong
        error, filters = exc, service.filters_of({})

    def work(tx: Transaction) -> tuple[list[Any], list[str], list[str]]:
        territories, teams = filter_options(tx.conn, crm.host, actor, rollup)
        return service.dashboard(crm, tx.conn, actor, filters), territories, teams

    tiles, territories, teams = read_as(request, DASHBOARD_READ, work)
    return page_response(
        request,
        "analytics/dashboard.html",
        status=422 if error else 200,
        error=error,
        tiles=tiles,
        filters=filters,
        periods=PERIODS,
        territories=territories,
        teams=teams,
        feeders=feeders(tile.name for tile in tiles),
        draw=draw,
        number=number,
    )


DRILL_QUERY = ("metric", "dimension", "start", "end", "territory", "team")


def drill_page(request: Request) -> Response:
    """The records behind a figure (or, for a metric no record keeps, its rollup cells),
    newest first."""
    check_query(request, DRILL_QUERY)
    crm, actor = crm_of(request), actor_of(request)
    query = dict(request.query_params)
    found = read_as(request, DASHBOARD_READ, lambda tx: service.drill(crm, tx.conn, actor, query))
    metric = metrics(crm)[found.metric][1]
    return page_response(
        request,
        "analytics/dashboard_drill.html",
        metric=metric,
        dimension=query.get("dimension"),
        filters=found.filters,
        cells=found.cells,
        records=found.records,
        limit=service.DRILL_LIMIT,
        number=number,
        back=BASE,
    )


ROUTES: list[BaseRoute] = [
    Route("/", dashboard_page, methods=["GET"]),
    Route("/drill", drill_page, methods=["GET"]),
]
