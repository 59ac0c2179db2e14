"""Authentication: only through the ``actor_from_request`` hook; the actor lands on ``request.state``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from crmkit.core.actors import Actor
from crmkit.web.context import call_hook, route_path
from crmkit.web.errors import NotAuthenticated
from crmkit.web.login import login_url
from crmkit.web.problems import JSON_PREFIXES

if TYPE_CHECKING:
    from crmkit.app import Crm

PUBLIC_PATHS = frozenset({"/api/v1/health", "/login"})
"""Served to anyone: load balancers probe health, visitors log in."""
PUBLIC_PREFIXES = ("/static/",)
"""Served to anyone: the error pages need their style sheet."""


def is_public(path: str) -> bool:
    """Whether ``path`` is served without an actor."""
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


class ActorMiddleware:
    """Finds who makes each request; without an actor only the public paths answer.

    Anything else answers 401, except pages of the UI, which send the visitor to the login form.
    """

    def __init__(self, app: ASGIApp, crm: Crm) -> None:
        self.app = app
        self.crm = crm

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_public(route_path(scope)):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        actor = await call_hook(self.crm, "actor_from_request", app=self.crm, request=request)
        if actor is None:
            path = route_path(scope)
            if not path.startswith(JSON_PREFIXES):
                query = scope.get("query_string", b"").decode("latin-1")
                redirect = RedirectResponse(login_url(f"{path}?{query}" if query else path), 303)
                await redirect(scope, receive, send)
                return
            raise NotAuthenticated("no authentication plugin recognised this request")
        if not isinstance(actor, Actor):
            implementers = ", ".join(self.crm.host.implementers("actor_from_request"))
            raise TypeError(
                f"actor_from_request ({implementers}) returned {actor!r}, not a crmkit.Actor"
            )
        request.state.actor = actor
        await self.app(scope, receive, send)
