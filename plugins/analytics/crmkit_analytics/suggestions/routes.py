"""The suggestions part's JSON API under ``/p/analytics/``.

A party the user does not see is 404, as if there were none.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import Transaction, parse_whole_number, seen_party
from crmkit.web import Param, check_query, crm_of, json_response, operation, read_as
from crmkit_analytics.suggestions import service
from crmkit_analytics.suggestions.access import READ

MOST = 50


@operation(
    "Suggested next products of a party, best first",
    response=list[service.Suggestion],
    query=(Param("limit", int, f"At most this many (1 to {MOST}, default 5)"),),
    errors=(404,),
    description=(
        "Item-to-item association rules from every customer's purchases, ranked by "
        "lift times confidence; never a product the party already bought."
    ),
)
def get_suggestions(request: Request) -> Response:
    check_query(request, ("limit",))
    raw = request.query_params.get("limit")
    limit = 5 if raw is None else parse_whole_number("limit", raw, minimum=1, maximum=MOST)
    party_id: int = request.path_params["party_id"]

    def work(tx: Transaction) -> list[service.Suggestion]:
        seen_party(tx.hooks, tx.conn, tx.actor, party_id)
        return service.suggestions_for(tx.conn, party_id, limit)

    return json_response(crm_of(request), read_as(request, READ, work))


ROUTES: list[BaseRoute] = [
    Route("/parties/{party_id:id}/suggestions", get_suggestions, methods=["GET"]),
]
