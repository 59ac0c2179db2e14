"""The application's router takes, for every request, the route Starlette's router would take."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Host, Mount, Route, Router
from starlette.testclient import TestClient

from crmkit.web.routing import Router as FiledRouter
from crmkit.web.routing import mount


def answer(name: str) -> Callable[[Request], Awaitable[PlainTextResponse]]:
    """An endpoint that says which route took the request, its path parameters and root path."""

    async def endpoint(request: Request) -> PlainTextResponse:
        params = ",".join(f"{k}={v}" for k, v in sorted(request.path_params.items()))
        return PlainTextResponse(f"{name} {params} {request.scope['root_path']}")

    return endpoint


def routes(mounted: type[Router]) -> list[Route | Mount | Host]:
    """Routes that overlap: a parameter before a written-out path, a catch-all in the middle,
    a segment that is half written, a mount at the root, methods, a host."""

    def under(path: str, inner: list[Route]) -> Mount:
        return Mount(path, app=mounted(inner))

    return [
        Route("/", answer("home")),
        Route("/customers", answer("customers"), methods=["GET"]),
        Route("/customers/{party_id:int}", answer("customer")),
        Route("/customers/new", answer("never: the id route is first, and 'new' no int")),
        Route("/customers/{name}", answer("customer by name")),
        under("/p/channels", [Route("/open", answer("open")), Route("/{any}", answer("ch any"))]),
        Route("/p/{plugin}/about", answer("about")),
        under("/p/campaigns", [Route("/segments", answer("segments"))]),
        Route("/files{rest:path}", answer("files")),
        Route("/{slug}", answer("slug")),
        Route("/shadowed", answer("never: the catch-all is first")),
        Route("/customers/export", answer("never: a customer by name")),
        Host("api.example", app=PlainTextResponse("host")),
        Route("/only-post", answer("post"), methods=["POST"]),
        Route("/trailing/", answer("trailing")),
        under("", [Route("/deep/{x}", answer("root mount")), Route("/late", answer("late"))]),
        Route("/deep/2", answer("never: the root mount is first")),
    ]


PATHS = [
    "/",
    "/customers",
    "/customers/",
    "/customers/7",
    "/customers/new",
    "/customers/export",
    "/customers/ada/more",
    "/p/channels/open",
    "/p/channels/opened",
    "/p/channels",
    "/p/campaigns/segments",
    "/p/campaigns/about",
    "/p/surveys/about",
    "/p",
    "/files",
    "/filesystem/x",
    "/anything",
    "/shadowed",
    "/deep/1",
    "/deep/2",
    "/late",
    "/late/",
    "/only-post",
    "/trailing",
    "/nowhere/at/all",
]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_every_request_reaches_the_route_starlettes_router_takes(method: str) -> None:
    filed = TestClient(FiledRouter(routes(FiledRouter)))
    plain = TestClient(Router(routes(Router)))
    for path in PATHS:
        mine = filed.request(method, path, follow_redirects=False)
        theirs = plain.request(method, path, follow_redirects=False)
        assert (mine.status_code, mine.text, mine.headers.get("location")) == (
            theirs.status_code,
            theirs.text,
            theirs.headers.get("location"),
        ), f"{method} {path}"


def test_a_route_appended_later_is_found() -> None:
    router = FiledRouter([Route("/customers", answer("customers"))])
    router.routes.append(Route("/customers/{x}", answer("added")))
    router.routes.append(Route("/added", answer("added too")))
    client = TestClient(router)
    assert client.get("/customers/3").text.startswith("added x=3")
    assert client.get("/added").text.startswith("added too")


def test_a_mount_serves_its_routes_under_its_path_and_names_them() -> None:
    router = FiledRouter(
        [mount("/p/channels", [Route("/open", answer("open"), name="o")], name="ch")]
    )
    client = TestClient(router)
    assert client.get("/p/channels/open").text == "open  /p/channels"
    assert router.url_path_for("ch:o") == "/p/channels/open"
