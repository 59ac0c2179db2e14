"""JSON routes under ``/p/service/helpdesk/``: the caller lookup a telephony system calls, the 360 view.

Authenticated like the rest of the API (an API token of the ``read`` scope
suffices); a party the token's user may not see is never answered.
"""

from __future__ import annotations

from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import Customer, Prospect, require, seen_party
from crmkit.web import Param, actor_of, check_query, crm_of, json_response, operation
from crmkit_service.helpdesk.access import HELPDESK_READ
from crmkit_service.helpdesk.lookup import callers, contact_key
from crmkit_service.helpdesk.view import CallerView, caller_view


@operation(
    "Who is calling: the 360 view of each party the user may see with this phone number or email",
    response=list[CallerView],
    query=(
        Param(
            "phone", str, "The caller's number, any common format (national: the default region)"
        ),
        Param("email", str, "The sender's email address"),
    ),
    description="Give exactly one of phone and email. An empty list: no party the user may see has it.",
)
def get_caller(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    check_query(request, ("phone", "email"))
    params = request.query_params
    require(crm.host, actor, HELPDESK_READ)
    kind, key = contact_key(
        phone=params.get("phone"), email=params.get("email"), region=crm.settings.default_region
    )
    settings = crm.settings_of["service"].helpdesk

    def work(conn: Connection) -> list[CallerView]:
        found = callers(conn, crm.host, actor, kind, key, limit=settings.max_callers)
        return [
            caller_view(conn, crm.host, actor, party, recent=settings.recent_contacts)
            for party in found
            if isinstance(party, Prospect | Customer)
        ]

    with crm.read() as conn:
        return json_response(crm, work(conn))


@operation("The 360 view of a party", response=CallerView, errors=(404,))
def get_party_view(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    check_query(request, ())
    require(crm.host, actor, HELPDESK_READ)
    recent = crm.settings_of["service"].helpdesk.recent_contacts
    with crm.read() as conn:
        party = seen_party(crm.host, conn, actor, request.path_params["party_id"])
        assert isinstance(party, Prospect | Customer)
        return json_response(crm, caller_view(conn, crm.host, actor, party, recent=recent))


ROUTES: list[BaseRoute] = [
    Route("/helpdesk/caller", get_caller),
    Route("/helpdesk/parties/{party_id:id}", get_party_view),
]
