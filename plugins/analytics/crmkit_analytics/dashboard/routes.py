"""The dashboard's JSON API under ``/p/analytics/``: the tiles shown and each tile's figures."""

from __future__ import annotations

from attrs import frozen
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import Transaction
from crmkit.web import Param, actor_of, check_query, crm_of, json_response, operation, read_as
from crmkit_analytics.dashboard import service
from crmkit_analytics.dashboard.access import DASHBOARD_READ
from crmkit_analytics.dashboard.scope import filter_options
from crmkit_analytics.dashboard.tiles import TILES, Tile
from crmkit_analytics.rollups.tables import rollup

FILTERS = (
    Param("period", str, "month, quarter, year (the one holding end, default today) or custom"),
    Param("start", str, "First day of a custom period (YYYY-MM-DD)"),
    Param("end", str, "Last day (YYYY-MM-DD; default today)"),
    Param("territory", str, "Only this territory (one of those the user may see)"),
    Param("team", str, "Only this team (one of those the user may see)"),
    Param("compare", str, "true: each figure with its value in the period before"),
)


@frozen
class TileName:
    name: str
    title: str


@frozen
class Overview:
    """The tiles shown and the filters the user may choose from."""

    tiles: list[TileName]
    territories: list[str]
    teams: list[str]


@operation("The dashboard's tiles and the filters one may use", response=Overview)
def list_tiles(request: Request) -> Response:
    check_query(request, ())
    crm, actor = crm_of(request), actor_of(request)

    def work(tx: Transaction) -> Overview:
        territories, teams = filter_options(tx.conn, crm.host, actor, rollup)
        names = [TileName(n, TILES[n].title) for n in service.shown_tiles(crm)]
        return Overview(names, territories, teams)

    return json_response(crm, read_as(request, DASHBOARD_READ, work))


@operation(
    "A tile's figures for a period, territory and team (only records one may see)",
    response=Tile,
    query=FILTERS,
    errors=(403, 404, 422),
    description=(
        "403 when the territory or team is not one the user may see; 404 when no installed "
        "plugin feeds the tile."
    ),
)
def get_tile(request: Request) -> Response:
    check_query(request, service.QUERY)
    crm, actor = crm_of(request), actor_of(request)
    filters = service.filters_of(dict(request.query_params))
    name: str = request.path_params["tile"]
    found = read_as(
        request, DASHBOARD_READ, lambda tx: service.tile(crm, tx.conn, actor, name, filters)
    )
    return json_response(crm, found)


ROUTES: list[BaseRoute] = [
    Route("/tiles", list_tiles, methods=["GET"]),
    Route("/tiles/{tile}", get_tile, methods=["GET"]),
]
