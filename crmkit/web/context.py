"""What a request handler can reach: the site it belongs to, its CRM, the actor, the hooks."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from attrs import frozen

from crmkit.core.actors import Actor
from crmkit.web.errors import NotAuthenticated

if TYPE_CHECKING:
    import jinja2
    from starlette.requests import Request
    from starlette.types import Scope

    from crmkit.app import Crm


@frozen
class Site:
    """Everything the handlers of one web application share (kept on ``asgi.state.site``)."""

    crm: Crm
    templates: jinja2.Environment
    timeline_renderers: Mapping[str, Callable[[Any], str]]
    notice: str | None = None
    """A line shown on top of every page, e.g. that this is a demo."""
    login_hint: str | None = None
    """A line shown under the login form, e.g. the demo's credentials."""


def site_of(request: Request) -> Site:
    """The :class:`Site` serving ``request``."""
    site: Site = request.app.state.site
    return site


def crm_of(request: Request) -> Crm:
    """The CRM serving ``request``."""
    return site_of(request).crm


def actor_of(request: Request) -> Actor:
    """Who makes ``request``, as authenticated by ``actor_from_request``."""
    actor = getattr(request.state, "actor", None)
    if not isinstance(actor, Actor):
        raise NotAuthenticated("this request is not authenticated")
    return actor


def route_path(scope: Scope) -> str:
    """The request's path below the application's root path (``/api/v1/health``)."""
    path: str = scope["path"]
    # Routing into a Mount moves root_path down to the mount; app_root_path keeps the app's.
    root: str = scope.get("app_root_path", scope.get("root_path", ""))
    return path[len(root) :] if root and path.startswith(root) else path


async def call_hook(crm: Crm, name: str, **kwargs: Any) -> Any:
    """Call a hook from async code without blocking the event loop.

    Async implementations are awaited on the loop; synchronous ones run in a worker
    thread, since they may query the database (an API token look-up). When all are
    synchronous, one thread runs them all.
    """
    if crm.host.has_async(name):
        return await crm.host.acall(name, sync_in_thread=True, **kwargs)
    return await anyio.to_thread.run_sync(functools.partial(crm.host.call, name, **kwargs))
