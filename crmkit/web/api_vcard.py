"""Parties as vCards over the API: one party, or a page of a list, in vCard 3.0 or 4.0.

The vCard routes are another form of the JSON ones beside them and keep their
record rules: ``GET /parties/{id}/vcard`` answers what ``GET /parties/{id}``
would (a party the actor may not see is not found), and ``GET /prospects/vcard``
(``/customers/vcard``) the page the list would, with the same parameters; the
next page is in the ``Link`` header (``rel="next"``).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit.core.entities import Party
from crmkit.core.errors import ValidationError
from crmkit.core.vcard import VERSIONS
from crmkit.core.vcard_parties import party_card
from crmkit.core.visible_records import list_visible_parties, visible_party
from crmkit.web.api import LIST_PARAMS, PARTY
from crmkit.web.context import actor_of, crm_of
from crmkit.web.listing import check_parameters, parse_party_query
from crmkit.web.openapi import Param, operation

VCARD = "text/vcard; charset=utf-8"
VERSION_PARAM = Param("version", str, "3.0 or 4.0 (the default)")


def _version(request: Request) -> str:
    version = request.query_params.get("version", "4.0")
    if version not in VERSIONS:
        raise ValidationError("version", f"expected one of {', '.join(VERSIONS)}")
    return version


def _cards(parties: list[Party], version: str, filename: str) -> Response:
    body = "".join(party_card(p, version) for p in parties)
    disposition = f'attachment; filename="{filename}"'
    return Response(body, media_type=VCARD, headers={"Content-Disposition": disposition})


@operation(
    "One prospect or customer as a vCard",
    response=str,
    query=(VERSION_PARAM,),
    errors=(404,),
    media_type="text/vcard",
)
async def party_vcard(request: Request) -> Response:
    """The party as one vCard; the same party the JSON form answers, or 404."""
    crm, actor = crm_of(request), actor_of(request)
    check_parameters(request.query_params, ("version",))
    version = _version(request)
    party_id = request.path_params["party_id"]
    entity = await crm.query(lambda conn: visible_party(crm, conn, actor, party_id))
    return _cards([entity], version, f"party-{party_id}.vcf")


def _list_route(role: str) -> Route:
    @operation(
        f"A page of the {role}s the actor may see, as vCards",
        response=str,
        query=(*(LIST_PARAMS if role == "prospect" else LIST_PARAMS[:-1]), VERSION_PARAM),
        media_type="text/vcard",
    )
    async def list_vcards(request: Request) -> Response:
        crm, actor = crm_of(request), actor_of(request)
        version = _version(request)
        params = {k: v for k, v in request.query_params.items() if k != "version"}
        query = parse_party_query(params)
        page = await crm.query(
            lambda conn: list_visible_parties(crm, conn, actor, role, query), scans=True
        )
        response = _cards(list(page.items), version, f"{role}s.vcf")
        if page.next_cursor is not None:
            following = request.url.include_query_params(cursor=page.next_cursor)
            response.headers["Link"] = f'<{following}>; rel="next"'
        return response

    list_vcards.__name__ = f"list_{role}s_vcard"
    return Route(f"/{role}s/vcard", list_vcards, methods=["GET"], name=f"api_{role}s_vcard")


ROUTES: list[BaseRoute] = [
    Route(f"{PARTY}/vcard", party_vcard, methods=["GET"], name="api_party_vcard"),
    _list_route("customer"),
    _list_route("prospect"),
]
"""Below ``/api/v1``, mounted with the other API routes."""
