"""Every error the web application answers with, mapped in this one place.

The API and plugin routes answer with RFC 9457 problem documents
(``application/problem+json``: ``title``, ``status``, ``detail`` and, for invalid
input, the ``field``); pages answer with an HTML page saying the same. A
plugin's ``handle_exception`` is asked first. An unexpected exception is logged
with its traceback and answered with a 500 that reveals nothing of it.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from attrs import frozen
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crmkit.core.errors import ConflictError, CrmError, NotFound, PermissionDenied, ValidationError
from crmkit.web.context import Site, call_hook, route_path, site_of
from crmkit.web.errors import (
    BEARER_CHALLENGE,
    LOGIN_CHALLENGE,
    ContentTooLarge,
    MalformedBody,
    NotAuthenticated,
)
from crmkit.web.templating import render

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
JSON_PREFIXES = ("/api/", "/p/", "/static/")
"""Paths answered with problem documents; every other path is a page of the UI."""
PAGES_TOO = "/p/"
"""Plugins serve pages beside their API here: a browser asking for a page gets one."""

STATUSES: tuple[tuple[type[CrmError], int], ...] = (
    (MalformedBody, 400),  # before ValidationError, its base class
    (ValidationError, 422),
    (NotAuthenticated, 401),
    (PermissionDenied, 403),
    (NotFound, 404),
    (ConflictError, 409),
    (ContentTooLarge, 413),
)


@frozen
class Problem:
    """What went wrong, in the terms of RFC 9457."""

    status: int
    title: str
    detail: str
    field: str | None = None

    def document(self) -> dict[str, Any]:
        """The problem as a JSON object."""
        doc: dict[str, Any] = {"title": self.title, "status": self.status, "detail": self.detail}
        if self.field is not None:
            doc["field"] = self.field
        return doc


def problem_for(exc: Exception) -> Problem:
    """The problem an exception stands for; anything unexpected is a 500 that says nothing more."""
    if isinstance(exc, HTTPException):
        try:
            title = HTTPStatus(exc.status_code).phrase
        except ValueError:
            title = "Error"
        return Problem(exc.status_code, title, exc.detail)
    for cls, status in STATUSES:
        if isinstance(exc, cls):
            return Problem(status, exc.title, exc.message, getattr(exc, "field", None))
    return Problem(
        500,
        "Internal server error",
        "The request could not be handled; the error has been logged.",
    )


async def error_response(site: Site, request: Request, exc: Exception) -> Response:
    """The response to ``exc``: the first plugin's ``handle_exception``, else the kernel's mapping."""
    answer = await _ask_plugins(site, request, exc)
    if answer is not None:
        return answer
    problem = problem_for(exc)
    if problem.status >= 500:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
    for_program = _for_program(request)
    if problem.status == 401:
        # RFC 9110: a 401 says how to authenticate.
        headers.setdefault("WWW-Authenticate", BEARER_CHALLENGE if for_program else LOGIN_CHALLENGE)
    if for_program:
        return JSONResponse(
            problem.document(), problem.status, headers=headers, media_type=PROBLEM_JSON
        )
    return render(site, "error.html", status=problem.status, headers=headers, problem=problem)


def _for_program(request: Request) -> bool:
    path = route_path(request.scope)
    if not path.startswith(JSON_PREFIXES):
        return False
    # Browsers name text/html first when they navigate; programs ask for JSON or anything.
    accept = request.headers.get("accept", "")
    return not (path.startswith(PAGES_TOO) and accept.startswith("text/html"))


async def _ask_plugins(site: Site, request: Request, exc: Exception) -> Response | None:
    try:
        answer = await call_hook(site.crm, "handle_exception", request=request, exc=exc)
    except Exception:
        # A broken error handler must not hide the original error.
        log.exception("handle_exception failed while answering %r", exc)
        return None
    if answer is None or isinstance(answer, Response):
        return answer
    log.error("handle_exception returned %r instead of a response; ignored", answer)
    return None


async def http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own HTTP errors (no such route, method not allowed) as problems too."""
    return await error_response(site_of(request), request, exc)


class ProblemMiddleware:
    """Answers every exception escaping the application, so that none reaches the server."""

    def __init__(self, app: ASGIApp, site: Site) -> None:
        self.app = app
        self.site = site

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            if started:  # too late to answer differently
                raise
            response = await error_response(self.site, Request(scope, receive), exc)
            await response(scope, receive, send)
