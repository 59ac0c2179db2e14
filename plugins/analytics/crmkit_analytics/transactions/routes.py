"""The transactions part's JSON API under ``/p/analytics/``: a party's predicted value.

A party the user does not see is 404, as one that does not exist; a party seen but not yet
valued (no purchase, or the nightly fit has not run since) is 404 naming the value.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import NotFound, Transaction, seen_party
from crmkit.web import check_query, crm_of, json_response, operation, read_as
from crmkit_analytics.transactions import service
from crmkit_analytics.transactions.access import VALUE_READ
from crmkit_analytics.transactions.service import PartyValue


def value_for(tx: Transaction, party_id: int) -> PartyValue:
    """The value of a party the actor sees; NotFound otherwise."""
    seen_party(tx.hooks, tx.conn, tx.actor, party_id)
    found = service.value_of(tx.conn, party_id)
    if found is None:
        raise NotFound(f"party {party_id} has no predicted value yet")
    return found


@operation(
    "A party's expected purchases, probability of still buying and lifetime value",
    response=PartyValue,
    errors=(404,),
)
def analytics_party_value(request: Request) -> Response:
    check_query(request)
    party_id: int = request.path_params["party_id"]
    found = read_as(request, VALUE_READ, lambda tx: value_for(tx, party_id))
    return json_response(crm_of(request), found)


ROUTES: list[BaseRoute] = [
    Route("/parties/{party_id:id}/value", analytics_party_value, methods=["GET"]),
]
