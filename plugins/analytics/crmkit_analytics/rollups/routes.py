"""The rollups part's JSON API under ``/p/analytics/``: the sources and their rebuild."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import read_text
from crmkit.web import Param, check_query, crm_of, json_response, operation, read_as, write_as
from crmkit_analytics.rollups import feed
from crmkit_analytics.rollups.access import ROLLUPS_ADMIN


@operation(
    "The analytics sources, their metrics and when they were rebuilt",
    response=list[feed.SourceState],
)
def list_sources(request: Request) -> Response:
    check_query(request, ())
    found = read_as(request, ROLLUPS_ADMIN, lambda tx: feed.states(tx.app, tx.conn))
    return json_response(crm_of(request), found)


@operation(
    "Rebuild the rollups (and purchases) of every source, or of one, from its tables",
    response=list[feed.Rebuilt],
    query=(Param("source", str, "Rebuild this source only"),),
    errors=(404,),
    description="404 names a source no installed plugin publishes.",
)
async def post_rebuild(request: Request) -> Response:
    check_query(request, ("source",))
    raw = request.query_params.get("source")
    name = None if raw is None else read_text("source", raw, limit=80)
    done = await write_as(request, ROLLUPS_ADMIN, lambda tx: feed.rebuild_in(tx, name))
    rows = [feed.Rebuilt(k, v["cells"], v["purchases"]) for k, v in done.items()]
    return json_response(crm_of(request), rows)


ROUTES: list[BaseRoute] = [
    Route("/rollups/sources", list_sources, methods=["GET"]),
    Route("/rollups/rebuild", post_rebuild, methods=["POST"]),
]
