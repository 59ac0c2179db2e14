"""Security headers on every response: what a page may load, who may frame it, what it may refer.

The UI loads its scripts, styles and images from its own site and has no inline
script, so the Content-Security-Policy allows nothing else: markup an attacker
managed to slip into a page could run no script. An inline ``<style>`` (a
printable page that must stand alone) is allowed only with the nonce of its
response, which templates rendered by :func:`crmkit.web.page_response` find as
``csp_nonce``: ``<style nonce="{{ csp_nonce }}">``. No page may be framed by
another site (clickjacking), no response is sniffed into another type, and no
address of the CRM (which may name a party or a search) is sent to other sites
as a referrer. A route that sets one of these headers itself keeps its own.
"""

from __future__ import annotations

import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP_NONCE = "csp_nonce"
"""Where the request's nonce is kept on ``request.state``."""


def security_headers(nonce: str) -> dict[str, str]:
    """The headers every response carries, with ``nonce`` for the inline styles it may hold."""
    policy = (
        "default-src 'self'",
        "script-src 'self'",
        f"style-src 'self' 'nonce-{nonce}'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
    return {
        "Content-Security-Policy": "; ".join(policy),
        # For browsers that do not know frame-ancestors.
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }


_FIXED = tuple(
    (name.lower().encode(), value.encode())
    for name, value in security_headers("").items()
    if name != "Content-Security-Policy"
)
_POLICY = security_headers("{nonce}")["Content-Security-Policy"]


def _encoded(nonce: str) -> list[tuple[bytes, bytes]]:
    """:func:`security_headers` as raw ASGI headers, built from their parts made once."""
    return [(b"content-security-policy", _POLICY.replace("{nonce}", nonce).encode()), *_FIXED]


class SecurityHeadersMiddleware:
    """Adds :func:`security_headers` to every HTTP response, error pages included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        scope.setdefault("state", {})[CSP_NONCE] = nonce

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", ()))
                own = {name.lower() for name, _ in raw}
                raw.extend(h for h in _encoded(nonce) if h[0] not in own)
                message["headers"] = raw
            await send(message)

        await self.app(scope, receive, send_with_headers)
