"""CSRF protection for cookie sessions: every state-changing request must carry the session's token.

Session authentication leaves the token on ``request.state.csrf_token``; forms
send it back in a hidden ``csrf_token`` field, scripts in an ``X-CSRF-Token``
header. Requests authenticated otherwise (an API token in ``Authorization``)
cannot be forged by another site and are not checked.
"""

from __future__ import annotations

import hmac

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crmkit.core.errors import PermissionDenied
from crmkit.web.payloads import form_fields

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_TYPE = "application/x-www-form-urlencoded"
"""The forms the UI posts; a multipart form must send the token in the header."""


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the already-read body to the application once more."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _checked(scope: Scope, receive: Receive, expected: str) -> Receive:
    """``receive`` to pass on if the request carries ``expected``; else PermissionDenied."""
    headers = Headers(scope=scope)
    given: object = headers.get(CSRF_HEADER)
    if given is None and headers.get("content-type", "").startswith(FORM_TYPE):
        body = await Request(scope, receive).body()
        given = form_fields(body).get(CSRF_FIELD)
        receive = _replaying(body, receive)
    if not isinstance(given, str) or not hmac.compare_digest(given.encode(), expected.encode()):
        raise PermissionDenied(
            "this request carries no valid CSRF token: reload the page and submit it again"
        )
    return receive


class CsrfMiddleware:
    """Refuses a state-changing request of a cookie session that lacks the session's CSRF token.

    Runs after authentication, which leaves the session's token on ``request.state.csrf_token``.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            expected = scope.get("state", {}).get("csrf_token")
            if expected is not None:
                receive = await _checked(scope, receive, expected)
        await self.app(scope, receive, send)
