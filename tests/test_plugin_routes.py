"""Plugin route handlers in both styles: plain ``def`` ones run in a worker thread, ``async def`` ones on the event loop."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from crmkit import (
    SYSTEM,
    Actor,
    Crm,
    PluginInfo,
    build_party,
    create_party,
    hookimpl,
    list_parties,
)
from crmkit.testing import http_client, register_plugin

TUTORIAL = Path(__file__).resolve().parent.parent / "docs" / "writing-a-plugin.md"


def plugin_with_routes(routes: list[BaseRoute], name: str = "styles") -> PluginInfo:
    class Routes:
        @hookimpl
        def register_routes(self) -> list[BaseRoute]:
            return routes

    return register_plugin(Routes(), name=name)


def acting_as(actor: Actor) -> PluginInfo:
    class SingleSignOn:
        @hookimpl
        def actor_from_request(self) -> Actor:
            return actor

    return register_plugin(SingleSignOn(), name="sso")


def on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def where(request: Request) -> Response:
    return JSONResponse({"on_event_loop": on_event_loop(), "thread": threading.get_ident()})


async def where_async(request: Request) -> Response:
    return JSONResponse({"on_event_loop": on_event_loop(), "thread": threading.get_ident()})


def test_a_plain_def_handler_runs_in_a_worker_thread_and_an_async_one_on_the_event_loop(
    make_crm: Callable[..., Crm],
) -> None:
    routes: list[BaseRoute] = [Route("/sync", where), Route("/async", where_async)]
    crm = make_crm(plugins=[plugin_with_routes(routes), acting_as(SYSTEM)])
    with http_client(crm) as client:
        plain = client.get("/p/styles/sync").json()
        awaited = client.get("/p/styles/async").json()
    assert plain["on_event_loop"] is False
    assert awaited["on_event_loop"] is True
    assert plain["thread"] != awaited["thread"]


def test_a_blocking_def_handler_does_not_hold_up_other_requests(
    make_crm: Callable[..., Crm],
) -> None:
    released = threading.Event()
    entered = threading.Event()

    def blocking(request: Request) -> Response:
        entered.set()
        # Blocks its worker thread until the other request has been answered.
        return JSONResponse({"released": released.wait(timeout=30)})

    routes: list[BaseRoute] = [Route("/block", blocking), Route("/async", where_async)]
    crm = make_crm(plugins=[plugin_with_routes(routes), acting_as(SYSTEM)])
    answers: dict[str, Any] = {}
    with http_client(crm) as client:
        waiting = threading.Thread(
            target=lambda: answers.update(block=client.get("/p/styles/block").json())
        )
        waiting.start()
        assert entered.wait(timeout=30)
        assert client.get("/p/styles/async").status_code == 200
        released.set()
        waiting.join(timeout=30)
    assert answers == {"block": {"released": True}}


def documented_handlers() -> dict[str, Any]:
    """The module the tutorial's section on handlers in both styles shows, executed."""
    text = TUTORIAL.read_text(encoding="utf-8")
    section = text.split("### Handlers in both styles\n", 1)[1].split("\n### ", 1)[0]
    [source] = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    namespace: dict[str, Any] = {"__name__": "crmkit_helpdesk_routes"}
    exec(compile(source, str(TUTORIAL), "exec"), namespace)
    return namespace


def test_the_documented_handlers_answer_in_both_styles(make_crm: Callable[..., Crm]) -> None:
    shown = documented_handlers()
    crm = make_crm(plugins=[plugin_with_routes(shown["ROUTES"], "helpdesk"), acting_as(SYSTEM)])
    with crm.transaction() as tx:
        party = create_party(tx, build_party("customer", {"last_name": "Meier"}, region=None))
    lead = {"first_name": "Jonas", "last_name": "Weber", "emails": ["jonas.weber@web.de"]}
    with http_client(crm) as client:
        contact = client.get(f"/p/helpdesk/contacts/{party.id}")
        created = client.post("/p/helpdesk/leads", json=lead)
    assert contact.json() == {"id": party.id, "name": "Meier"}
    assert created.status_code == 201, created.text
    assert created.json()["outcome"] == "created"


def test_the_documented_def_handler_hides_a_party_the_actor_may_not_see(
    make_crm: Callable[..., Crm],
) -> None:
    shown = documented_handlers()
    stranger = Actor(user_id=None, username="sam", role="sales")
    crm = make_crm(plugins=[plugin_with_routes(shown["ROUTES"], "helpdesk"), acting_as(stranger)])
    with crm.transaction() as tx:
        party = create_party(tx, build_party("customer", {"last_name": "Meier"}, region=None))
    with http_client(crm) as client:
        assert client.get(f"/p/helpdesk/contacts/{party.id}").status_code == 404


def test_the_documented_async_handler_checks_its_permission_before_taking_a_lead_in(
    make_crm: Callable[..., Crm],
) -> None:
    shown = documented_handlers()
    reader = Actor(user_id=None, username="rita", role="read-only")
    crm = make_crm(plugins=[plugin_with_routes(shown["ROUTES"], "helpdesk"), acting_as(reader)])
    with http_client(crm) as client:
        refused = client.post("/p/helpdesk/leads", json={"last_name": "Schulz"})
    assert refused.status_code == 403
    with crm.read() as conn:
        assert list_parties(conn, "prospect").items == []
