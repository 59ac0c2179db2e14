"""The tracking pixel and the click redirect: public routes whose signed token names the email.

A token this CRM did not sign answers 404 and records nothing. A valid one whose
email is gone (its party was erased) still serves the image or the redirect, and
records nothing either.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from crmkit import NotFound, Transaction
from crmkit.web import crm_of, public_route
from crmkit_channels import tracking
from crmkit_channels.settings import ChannelsSettings
from crmkit_channels.tracking_links import Tracked, read_token
from crmkit_channels.unsubscribe import TokenInLink

PIXEL = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)
"""A transparent 1x1 GIF."""
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _tracked(request: Request) -> Tracked | None:
    settings: ChannelsSettings = crm_of(request).settings_of["channels"]
    try:
        return read_token(settings, request.query_params.get("t", ""))
    except NotFound:
        return None


def _web(url: str) -> bool:
    return urlsplit(url).scheme.lower() in ("http", "https")


def _invalid() -> Response:
    return Response("This link is not valid.", status_code=404, headers=NO_STORE)


def _recorder(tracked: Tracked, kind: str) -> Callable[[Transaction], None]:
    return lambda tx: tracking.record_hit(tx, tracked.message_id, kind, tracked.url)


async def opened(request: Request) -> Response:
    """Record that a tracked email was opened, answering a transparent 1x1 GIF."""
    tracked = _tracked(request)
    if tracked is None or tracked.url is not None:
        return _invalid()
    await crm_of(request).write(_recorder(tracked, "open"))
    return Response(PIXEL, media_type="image/gif", headers=NO_STORE)


async def clicked(request: Request) -> Response:
    """Record a click on a tracked link of an email and redirect to its address."""
    tracked = _tracked(request)
    if tracked is None or tracked.url is None or not _web(tracked.url):
        return _invalid()
    await crm_of(request).write(_recorder(tracked, "click"))
    return RedirectResponse(tracked.url, status_code=302, headers=NO_STORE)


_TOKEN_IN_LINK = TokenInLink("t")

# No budget per client address: mail providers fetch images and follow links through a few
# proxy addresses, and a budget would cost a write per hit. A link whose token does not hold
# writes nothing, and a valid one adds one event row per hit.
ROUTES = [
    public_route(
        "/open",
        opened,
        verifier=_TOKEN_IN_LINK,
        methods=("GET",),
        per_minute=None,
        name="email_opened",
    ),
    public_route(
        "/click",
        clicked,
        verifier=_TOKEN_IN_LINK,
        methods=("GET",),
        per_minute=None,
        name="email_clicked",
    ),
]
