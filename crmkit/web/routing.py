"""A router that tries, for a request, only the routes its path's first segment can reach.

Starlette's router tries its routes in order, a regular expression each, until one
matches. With every plugin loaded the kernel's application holds well over a hundred
routes, and a request to a plugin's public route (a tracking pixel, a webhook) was
matched against most of them, a few percent of what such a hit costs. Here each route
is filed under the first segment of its path when that segment is written out
(``/customers``, ``/parties/{party_id}``, a mount at ``/p``), and under every segment when it
is not (``/{slug}``, a route of another kind). A request tries the routes filed under its
path's first segment, in the order they were given: the first that matches is the one
Starlette's router would have taken, since no route left out could have matched.
Anything else (a method not allowed, a slash to add or drop, nothing found) goes to
Starlette's router as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.routing import BaseRoute, Match, Mount, Route, WebSocketRoute, get_route_path
from starlette.routing import Router as StarletteRouter
from starlette.types import ASGIApp, Receive, Scope, Send

_ANY = None
"""The key of the routes whose path's first segment is not written out."""


def _first_segment(route: BaseRoute) -> str | None:
    """The first segment of every path ``route`` can match, or None when that is not fixed."""
    matches = type(route).matches
    if matches is Mount.matches:
        assert isinstance(route, Mount)
        written = f"{route.path}/{{path}}"
    elif matches in (Route.matches, WebSocketRoute.matches):
        written = route.path  # type: ignore[attr-defined]
    else:
        return _ANY
    head = written[1:].partition("/")[0]
    return _ANY if "{" in head else head


class Router(StarletteRouter):
    """Starlette's router, which tries for a request only the routes that can match its path.

    Its routes are filed when it is made. One appended later is not filed, and is still
    found: by Starlette's router, which tries every route after the filed ones failed. To
    insert, remove or replace routes, make another router.
    """

    def __init__(self, routes: Sequence[BaseRoute] | None = None, **options: Any) -> None:
        super().__init__(routes, **options)
        filed = [(_first_segment(route), route) for route in self.routes]
        self._by_segment: dict[str | None, tuple[BaseRoute, ...]] = {
            segment: tuple(route for at, route in filed if at in (segment, _ANY))
            for segment in {at for at, _ in filed} | {_ANY}
        }

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            scope.setdefault("router", self)
            by_segment = self._by_segment
            segment = get_route_path(scope)[1:].partition("/")[0]
            for route in by_segment.get(segment) or by_segment[_ANY]:
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    scope["route"] = route
                    scope.update(child_scope)
                    await route.handle(scope, receive, send)
                    return
        await super().app(scope, receive, send)


def mount(path: str, routes: Sequence[BaseRoute], *, name: str | None = None) -> Mount:
    """``routes`` under ``path``, dispatched by :class:`Router`."""
    app: ASGIApp = Router(routes)
    return Mount(path, app=app, name=name)
