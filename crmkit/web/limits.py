"""What a request may hold before any route reads it: a body within ``max_body_bytes``,
a query string of text a database can store."""

from __future__ import annotations

from urllib.parse import unquote_plus

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crmkit.core.errors import ValidationError
from crmkit.core.untrusted import check_storable_text
from crmkit.web.errors import ContentTooLarge


class BodyLimitMiddleware:
    """Refuses a body over ``max_bytes``: at once when its length is declared, else once it is."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> ContentTooLarge:
        return ContentTooLarge(f"the request body exceeds the limit of {self.max_bytes} bytes")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            raise self._too_large()
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise self._too_large()
            return message

        await self.app(scope, counted, send)


def check_query_string(raw: bytes) -> None:
    """Refuse, naming the parameter, a query string whose text is not UTF-8 or has a NUL."""
    for pair in raw.decode("latin-1").split("&"):
        name, _, value = pair.partition("=")
        try:
            name = unquote_plus(name, errors="strict")
            value = unquote_plus(value, errors="strict")
        except UnicodeDecodeError:
            raise ValidationError(name, "the query parameter is not UTF-8 text") from None
        check_storable_text(name, name)
        check_storable_text(name, value)


class QueryTextMiddleware:
    """Refuses a query string :func:`check_query_string` refuses, for every route, plugins' too.

    Starlette would turn bytes that are not UTF-8 into U+FFFD and pass a NUL on,
    which PostgreSQL refuses in the query that compares a column with it (a 500).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("query_string"):
            check_query_string(scope["query_string"])
        await self.app(scope, receive, send)
