"""Authentication: only through the ``actor_from_request`` hook; the actor lands on ``request.state``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from crmkit.core.actors import Actor
from crmkit.web.context import call_hook, route_path
from crmkit.web.errors import NotAuthenticated
from crmkit.web.login import login_url
from crmkit.web.problems import JSON_PREFIXES
from crmkit.web.public import is_public
from crmkit.web.public_routes import PublicPluginPaths

if TYPE_CHECKING:
    from crmkit.app import Crm


def _actor_or_refusal(crm: Crm, scope: Scope, actor: Any) -> Actor | Response:
    """``actor`` checked, or the answer to a request nobody recognised.

    Pages of the UI send the visitor to the login form; anything else is 401.
    """
    if actor is None:
        path = route_path(scope)
        if path.startswith(JSON_PREFIXES):
            raise NotAuthenticated("no authentication plugin recognised this request")
        query = scope.get("query_string", b"").decode("latin-1")
        return RedirectResponse(login_url(f"{path}?{query}" if query else path), 303)
    if not isinstance(actor, Actor):
        implementers = ", ".join(crm.host.implementers("actor_from_request"))
        raise TypeError(
            f"actor_from_request ({implementers}) returned {actor!r}, not a crmkit.Actor"
        )
    return actor


class ActorMiddleware:
    """Finds who makes each request; without an actor only the public paths answer.

    The public paths are the kernel's and those of the plugins' ``public_routes``.

    Anything else answers 401, except pages of the UI, which send the visitor to the login form.
    """

    def __init__(self, app: ASGIApp, crm: Crm, public_routes: PublicPluginPaths) -> None:
        self.app = app
        self.crm = crm
        self.public_routes = public_routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._is_public(route_path(scope)):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        found = await call_hook(self.crm, "actor_from_request", app=self.crm, request=request)
        outcome = _actor_or_refusal(self.crm, scope, found)
        if isinstance(outcome, Response):
            await outcome(scope, receive, send)
            return
        request.state.actor = outcome
        await self.app(scope, receive, send)

    def _is_public(self, path: str) -> bool:
        # A plugin's public route authenticates its requests itself, by their signature.
        return is_public(path) or path in self.public_routes
