"""The public open link ``/p/surveys/o/{token}``: each browser that opens it gets an anonymous
invitation of its own and is sent on (303) to that invitation's answer page.

A cookie (HttpOnly, for ``/p/surveys/`` only) keeps the browser's invitation, so that a
reload or a second visit goes on with the same answers rather than starting anew. The
route is budgeted per client address, as every public route: each visit may write a row.
"""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from crmkit import NotFound
from crmkit.web import actor_of, crm_of, operation, public_route
from crmkit_surveys.answering.public import refusal_page
from crmkit_surveys.invitations.links import ANSWER_PATH, MAX_TOKEN
from crmkit_surveys.invitations.open_links import open_invitation

NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
COOKIE = "surveys_open_{survey_id}"
COOKIE_PATH = "/p/surveys/"
VISITS_PER_MINUTE = 30


class OpenLinkToken:
    """The route's "signature" is the link's token in its path, checked by the handler itself;
    the public route's budget per client address applies."""

    checks_signature: ClassVar[bool] = False

    def verify(self, crm: Any, request: Request, body: bytes, now: float) -> None:
        return None


def _refused(request: Request) -> Response:
    """The answer pages' plain refusal (no staff layout), in the ``lang`` asked for."""
    wanted = request.query_params.get("lang", "")
    return refusal_page(request, 404, wanted, "unknown_title", "withdrawn_text")


@operation(
    "Open a survey's open link",
    status=303,
    errors=(404,),
    description=(
        "Makes the browser an anonymous invitation of its own (kept by a cookie) and sends "
        "it on (303) to that invitation's answer page. 404 (an HTML page) for a withdrawn or "
        "rotated link, or a survey that is not active."
    ),
)
async def open_link(request: Request) -> Response:
    """Send the browser on to its own invitation of the link's survey."""
    crm = crm_of(request)
    token: str = request.path_params["token"]
    if len(token) > MAX_TOKEN:
        return _refused(request)

    def kept_for(survey_id: int) -> str | None:
        return request.cookies.get(COOKIE.format(survey_id=survey_id))

    try:
        survey_id, own = await crm.write(
            lambda tx: open_invitation(tx, token, kept_for), actor_of(request)
        )
    except NotFound:
        return _refused(request)
    days = crm.settings_of["surveys"].invitations.open_link_expires_after_days
    response = RedirectResponse(f"{ANSWER_PATH}/{own}", status_code=303, headers=NO_STORE)
    response.set_cookie(
        COOKIE.format(survey_id=survey_id),
        own,
        max_age=days * 86400,
        path=COOKIE_PATH,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="lax",
    )
    return response


ROUTES: list[BaseRoute] = [
    public_route(
        "/o/{token}",
        open_link,
        verifier=OpenLinkToken(),
        methods=("GET",),
        per_minute=VISITS_PER_MINUTE,
        name="surveys_open_link",
    )
]
