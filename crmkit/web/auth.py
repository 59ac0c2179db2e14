"""Authentication: only through the ``actor_from_request`` hook; the actor lands on ``request.state``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from crmkit.core.actors import Actor
from crmkit.web.context import call_hook, route_path
from crmkit.web.errors import NotAuthenticated

if TYPE_CHECKING:
    from crmkit.app import Crm

PUBLIC_PATHS = frozenset({"/api/v1/health"})
"""Served to anyone: load balancers probe health."""
PUBLIC_PREFIXES = ("/static/",)
"""Served to anyone: the error pages need their style sheet."""


def is_public(path: str) -> bool:
    """Whether ``path`` is served without an actor."""
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


class ActorMiddleware:
    """Finds who makes each request; without an actor only the public paths answer (else 401)."""

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
            raise NotAuthenticated("no authentication plugin recognised this request")
        if not isinstance(actor, Actor):
            implementers = ", ".join(self.crm.host.implementers("actor_from_request"))
            raise TypeError(
                f"actor_from_request ({implementers}) returned {actor!r}, not a crmkit.Actor"
            )
        request.state.actor = actor
        await self.app(scope, receive, send)
