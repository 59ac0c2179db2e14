"""The agent console: find the caller by number or email, their 360 view, a case in one click.

The search and the view show only parties the agent may see; the case is
opened through the cases service (channel ``phone``), which records the
caller's entitlement on it.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from crmkit import (
    Customer,
    MenuItem,
    Party,
    Prospect,
    Transaction,
    ValidationError,
    is_allowed,
    require,
    seen_party,
)
from crmkit.web import Refusal, actor_of, crm_of, page_response, submit
from crmkit_service.assets.access import ASSET_READ
from crmkit_service.cases.access import CASE_WRITE
from crmkit_service.cases.model import KINDS, PRIORITIES
from crmkit_service.cases.service import open_case
from crmkit_service.dispatch.access import DISPATCH_WRITE
from crmkit_service.helpdesk.access import HELPDESK_READ
from crmkit_service.helpdesk.lookup import callers, key_of_search
from crmkit_service.helpdesk.view import caller_view
from crmkit_service.web import filled, form_page

MENU = [MenuItem("Help desk", "/p/service/console", HELPDESK_READ, order=72)]
CASE_FORM = ("subject", "kind", "priority", "description", "asset_id")


def view_url(party_id: int) -> str:
    return f"/p/service/console/parties/{party_id}"


def console(request: Request) -> Response:
    """Search by phone number or email; one match goes straight to its 360 view."""
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, HELPDESK_READ)
    text = request.query_params.get("q")
    found: list[Party] = []
    error = None
    if text is not None:
        try:
            kind, key = key_of_search(text, crm.settings.default_region)
        except ValidationError as exc:
            error = exc
        else:
            limit = crm.settings_of["service"].helpdesk.max_callers
            with crm.read() as conn:
                found = callers(conn, crm.host, actor, kind, key, limit=limit)
            if len(found) == 1 and found[0].id is not None:
                return RedirectResponse(view_url(found[0].id), status_code=303)
    return page_response(
        request,
        "service/helpdesk_console.html",
        status=422 if error else 200,
        q=text or "",
        found=found,
        searched=text is not None and error is None,
        error=error,
    )


def party_view(
    request: Request,
    values: dict[str, str] | None = None,
    error: Refusal | None = None,
    status: int = 200,
) -> Response:
    """The 360 view: the party, open cases, assets and entitlements, visits, recent contacts."""
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, HELPDESK_READ)
    recent = crm.settings_of["service"].helpdesk.recent_contacts
    with crm.read() as conn:
        party = seen_party(crm.host, conn, actor, request.path_params["party_id"])
        assert isinstance(party, Prospect | Customer)
        view = caller_view(conn, crm.host, actor, party, recent=recent)
    return form_page(
        request,
        "service/helpdesk_view.html",
        status=status,
        view=view,
        opened=request.query_params.get("opened"),
        may_open=is_allowed(crm.host, actor, CASE_WRITE),
        may_dispatch=is_allowed(crm.host, actor, DISPATCH_WRITE),
        kinds=KINDS,
        priorities=PRIORITIES,
        values=values or {"kind": "incident", "priority": "normal"},
        error=error,
    )


async def post_case(request: Request) -> Response:
    """Open a case for the caller from the console, on the phone channel."""
    party_id = request.path_params["party_id"]

    def create(tx: Transaction, form: dict[str, str]) -> str:
        data: dict[str, Any] = filled(form, CASE_FORM)
        if "asset_id" in data:
            if not data["asset_id"].isdigit():
                raise ValidationError("asset_id", "choose one of the customer's assets")
            data["asset_id"] = int(data["asset_id"])
        opened = open_case(tx, {**data, "party_id": party_id, "channel": "phone"})
        return f"{view_url(party_id)}?opened={opened.number}"

    return await submit(request, CASE_WRITE, create, party_view)


def party_actions(entity_type: str, entity: Any) -> list[MenuItem]:
    """On a prospect's or customer's page: their help desk view, assets and contracts."""
    if entity_type not in ("prospect", "customer") or entity.id is None:
        return []
    return [
        MenuItem("Help desk view", view_url(entity.id), HELPDESK_READ),
        MenuItem("Assets and contracts", f"/p/service/parties/{entity.id}/assets/page", ASSET_READ),
    ]


ROUTES: list[BaseRoute] = [
    Route("/console", console),
    Route("/console/parties/{party_id:id}", party_view),
    Route("/console/parties/{party_id:id}/cases", post_case, methods=["POST"]),
]
