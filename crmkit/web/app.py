"""The ASGI application of a CRM: kernel API and pages, static files, plugin routes under ``/p/<plugin>/``.

Middleware, outermost first: the security headers (on every response, error pages
included), problems (every exception becomes a response), the body limit (before
anyone reads a body), the query string's text, authentication, then the CSRF check.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import anyio.to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from crmkit.web import (
    api,
    api_audit,
    api_external_ids,
    api_intake,
    api_privacy,
    api_vcard,
    api_webhooks,
    api_work,
    forms,
    intake_pages,
    lead_form,
    login,
    my_work,
    openapi,
    pages,
    webhook_pages,
)
from crmkit.web.auth import ActorMiddleware
from crmkit.web.context import Site
from crmkit.web.csrf import CsrfMiddleware
from crmkit.web.headers import SecurityHeadersMiddleware
from crmkit.web.limits import BodyLimitMiddleware, QueryTextMiddleware
from crmkit.web.problems import ProblemMiddleware, http_exception
from crmkit.web.public_routes import public_plugin_paths
from crmkit.web.routing import Router, mount
from crmkit.web.templating import make_environment
from crmkit.web.ui import collect_timeline_renderers

if TYPE_CHECKING:
    from crmkit.app import Crm

STATIC = Path(__file__).parent / "static"


def plugin_routes(app: Crm) -> list[BaseRoute]:
    """Each plugin's ``register_routes``, mounted under ``/p/<plugin>``."""
    return [
        mount(f"/p/{plugin}", routes, name=plugin)
        for plugin, routes in app.host.collect_by_plugin("register_routes")
    ]


def create_asgi(
    app: Crm,
    *,
    notice: str | None = None,
    login_hint: str | None = None,
    long_lived: bool = False,
) -> Starlette:
    """The web application of ``app``; its lifespan starts and closes the CRM.

    ``notice`` is a line shown on top of every page (``crmkit demo`` says so there),
    ``login_hint`` one under the login form (the demo's credentials).

    ``long_lived`` says that the process serves this application until it ends (``crmkit
    serve``, ``crmkit demo``). Then, once started, what the start made (plugins, tables,
    compiled statements: hundreds of thousands of objects) is moved out of the garbage
    collector's sight (:func:`gc.freeze`). A full collection, which a load of writes sets
    off every second or so, then walks only what requests made: with every plugin loaded
    it took up to 100 ms, during which no request was answered. A process that builds
    many applications (a test suite) must not freeze: garbage in reference cycles among
    what is frozen is not collected until the application shuts down and unfreezes it.
    """
    site = Site(
        crm=app,
        templates=make_environment(
            status.info
            for status in app.host.statuses.values()
            if status.state == "loaded" and status.info is not None
        ),
        timeline_renderers=collect_timeline_renderers(app),
        notice=notice,
        login_hint=login_hint,
    )

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        # Startup hooks may do database work; they run off the event loop.
        await anyio.to_thread.run_sync(app.start)
        # Requests then answer without waiting for the event subscribers.
        app.dispatcher.start()
        if long_lived:
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(app.close)
            if long_lived:
                gc.unfreeze()

    mounts = plugin_routes(app)
    asgi = Starlette(
        middleware=[
            Middleware(SecurityHeadersMiddleware),
            Middleware(ProblemMiddleware, site=site),
            Middleware(BodyLimitMiddleware, max_bytes=app.settings.max_body_bytes),
            Middleware(QueryTextMiddleware),
            Middleware(ActorMiddleware, crm=app, public_routes=public_plugin_paths(mounts)),
            Middleware(CsrfMiddleware),
        ],
        exception_handlers={HTTPException: http_exception},
    )
    asgi.router = Router(
        [
            mount(
                "/api/v1",
                [
                    *api.ROUTES,
                    *api_audit.ROUTES,
                    *api_work.ROUTES,
                    *api_intake.ROUTES,
                    *api_external_ids.ROUTES,
                    *api_privacy.ROUTES,
                    *api_webhooks.ROUTES,
                    *api_vcard.ROUTES,
                ],
            ),
            *lead_form.ROUTES,
            *openapi.ROUTES,
            *pages.ROUTES,
            *intake_pages.ROUTES,
            *forms.ROUTES,
            *login.ROUTES,
            *my_work.ROUTES,
            *webhook_pages.ROUTES,
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
            *mounts,
        ],
        lifespan=lifespan,
    )
    asgi.state.site = site
    return asgi
