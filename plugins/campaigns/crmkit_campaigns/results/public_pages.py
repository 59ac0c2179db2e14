"""The public response page a campaign email links to: ``/p/campaigns/public/respond?t=<token>``.

Opening the link shows a form and records nothing (mail scanners open links); sending
the form records the response. A token this CRM did not sign answers 404 and stores
nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from crmkit import SYSTEM, Actor, NotFound, PermissionDenied, ValidationError, utcnow
from crmkit.web import Param, RefusedForm, crm_of, page_response, public_route, read_form
from crmkit_campaigns.campaigns.tables import campaign, member
from crmkit_campaigns.results.links import RESPOND_PATH, read_member_token
from crmkit_campaigns.results.responses import record_response

VISITOR = Actor(user_id=None, username="visitor", role="visitor")
"""Who the page is rendered for: no staff navigation."""
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
TEMPLATE = "campaigns/results/respond.html"


class ResponseLink:
    """The route's "signature" is the response link's token in the query parameter ``t``,
    checked by the handler itself; the public route's budget per client address applies."""

    parameters = (Param("t", str, "The signed token of the response link", True),)

    def verify(self, crm: Any, request: Request, body: bytes, now: float) -> None:
        return None


def _member(crm: Any, token: str) -> Any:
    """The member and its campaign's name and purpose; NotFound for a bad token."""
    member_id = read_member_token(crm, token)
    with crm.read() as conn:
        found = conn.execute(
            select(member.c.id, member.c.campaign_id, campaign.c.name, campaign.c.purpose)
            .join(campaign, campaign.c.id == member.c.campaign_id)
            .where(member.c.id == member_id)
        ).first()
    if found is None:
        raise NotFound("this link is not valid")
    return found


def _page(request: Request, status: int = 200, **context: Any) -> Response:
    request.state.actor = VISITOR
    context.setdefault("values", {})
    context.setdefault("error", None)
    response = page_response(
        request,
        TEMPLATE,
        status=status,
        token=request.query_params.get("t", ""),
        error_field=getattr(context["error"], "field", None),
        **context,
    )
    response.headers.update(NO_STORE)
    return response


def _same_origin(request: Request) -> bool:
    # Browsers send Origin on every cross-site POST: only this page's own form may answer.
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.url.netloc}"


async def respond_page(request: Request) -> Response:
    """The response form of the member the link names."""
    crm = crm_of(request)
    try:
        found = await run_in_threadpool(_member, crm, request.query_params.get("t", ""))
    except NotFound:
        return _page(request, 404, state="invalid")
    return _page(request, state="ask", campaign_name=found.name, purpose=found.purpose)


async def send_response(request: Request) -> Response:
    """Record the member's response with what the form says."""
    if not _same_origin(request):
        raise PermissionDenied("a response is sent from this site's own page only")
    crm = crm_of(request)
    try:
        found = await run_in_threadpool(_member, crm, request.query_params.get("t", ""))
    except NotFound:
        return _page(request, 404, state="invalid")
    shown = {"campaign_name": found.name, "purpose": found.purpose}
    try:
        form = await read_form(request)
    except RefusedForm as exc:
        return _page(request, 422, state="ask", values=exc.fields, error=exc, **shown)
    client = request.client.host if request.client else "unknown"
    evidence = (
        f"ticked on the response page of campaign {found.campaign_id} "
        f"from {client} at {utcnow().isoformat()}"
    )

    def record(tx: Any) -> Any:
        return record_response(
            tx,
            found.campaign_id,
            via="page",
            member_id=found.id,
            message=form.get("message"),
            consents=[found.purpose] if form.get("consent") == found.purpose else [],
            evidence=evidence,
        )

    try:
        # The link is the member's proof: the system records it, as the channels plugin's
        # unsubscribe link does.
        await crm.write(record, SYSTEM)
    except ValidationError as exc:
        return _page(request, 422, state="ask", values=form, error=exc, **shown)
    return _page(request, state="thanks", **shown)


_LINK = ResponseLink()

ROUTES = [
    public_route(
        RESPOND_PATH.removeprefix("/p/campaigns"),
        respond_page,
        verifier=_LINK,
        methods=("GET",),
        name="campaign_response_page",
    ),
    public_route(
        RESPOND_PATH.removeprefix("/p/campaigns"),
        send_response,
        verifier=_LINK,
        methods=("POST",),
        per_minute=60,
        name="campaign_response_sent",
    ),
]
