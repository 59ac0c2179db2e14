"""The profiles part's JSON API under ``/p/analytics/``: a party's RFM profile.

A party the user does not see is 404, as one that does not exist; a party seen but not yet
profiled (no purchase, or the job has not run since) is 404 naming the profile.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import NotFound, Transaction, seen_party
from crmkit.web import check_query, crm_of, json_response, operation, read_as
from crmkit_analytics.profiles import service
from crmkit_analytics.profiles.access import READ
from crmkit_analytics.profiles.service import Profile


def profile_for(tx: Transaction, party_id: int) -> Profile:
    """The profile of a party the actor sees; NotFound otherwise."""
    seen_party(tx.hooks, tx.conn, tx.actor, party_id)
    found = service.profile_of(tx.conn, party_id)
    if found is None:
        raise NotFound(f"party {party_id} has no profile yet")
    return found


@operation(
    "A party's RFM scores, band and buying patterns",
    response=Profile,
    errors=(404,),
)
def analytics_party_profile(request: Request) -> Response:
    check_query(request)
    party_id: int = request.path_params["party_id"]
    found = read_as(request, READ, lambda tx: profile_for(tx, party_id))
    return json_response(crm_of(request), found)


ROUTES: list[BaseRoute] = [
    Route("/parties/{party_id:id}/profile", analytics_party_profile, methods=["GET"]),
]
