"""The web skeleton: plugin routes, problem documents, authentication, the read-only API, the pages."""

from __future__ import annotations

import re
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from markupsafe import escape
from sqlalchemy import Table, func, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from crmkit import (
    Actor,
    CustomField,
    MenuItem,
    Panel,
    PluginError,
    PluginInfo,
    Widget,
    hookimpl,
    party_table,
)
from crmkit.app import Crm
from crmkit.core.interactions import build_interaction, log_interaction
from crmkit.core.parties import build_party, create_party
from crmkit.core.settings import Settings
from crmkit.testing import http_client, make_app, register_plugin
from crmkit.web.app import create_asgi
from crmkit.web.context import actor_of
from crmkit.web.payloads import read_json

ADMIN = Actor(user_id=None, username="tester", role="admin")
PROBLEM = "application/problem+json"


def plugin(name: str, **hooks: Callable[..., Any]) -> PluginInfo:
    """A throwaway plugin implementing ``hooks`` (functions named by their hook)."""
    return register_plugin(
        types.SimpleNamespace(**{hook: hookimpl(f) for hook, f in hooks.items()}), name=name
    )


def login(actor: Actor = ADMIN) -> PluginInfo:
    return plugin("signon", actor_from_request=lambda app, request: actor)


def add_party(crm: Crm, role: str = "customer", **data: Any) -> int:
    with crm.transaction() as tx:
        entity = create_party(tx, build_party(role, data, region="DE"))
    assert entity.id is not None
    return entity.id


def log(crm: Crm, party_id: int, source: str = "core", **data: Any) -> None:
    data = {"channel": "phone", "direction": "outbound", **data, "party_id": party_id}
    with crm.transaction() as tx:
        log_interaction(tx, build_interaction(data, source=source))


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def all_pages(client: Any, url: str, cursor: str | None = None) -> Iterator[dict[str, Any]]:
    """Every item of a paginated list, following ``next_cursor`` from ``cursor`` on."""
    while True:
        page = client.get(url, params={"cursor": cursor} if cursor else {}).json()
        yield from page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return


# --- Plugin routes and authentication


async def whoami(request: Request) -> Response:
    return JSONResponse({"actor": actor_of(request).username, "path": request.url.path})


async def echo(request: Request) -> Response:
    return JSONResponse({"received": await read_json(request)})


def visits() -> PluginInfo:
    return plugin(
        "visits",
        register_routes=lambda: [Route("/whoami", whoami), Route("/echo", echo, methods=["POST"])],
    )


def test_hook_register_routes(make_crm):
    """Plugin routes answer under /p/<plugin>/ and nowhere else."""
    client = http_client(make_crm([login(), visits()]))

    answer = client.get("/p/visits/whoami")

    assert answer.status_code == 200
    assert answer.json() == {"actor": "tester", "path": "/p/visits/whoami"}
    assert client.get("/whoami").status_code == 404
    problem(client.get("/p/visits/elsewhere"), 404)


def test_hook_actor_from_request(make_crm):
    """No actor: the API and plugin routes answer 401 problems."""
    client = http_client(make_crm([visits()]))

    for path in ("/api/v1/customers", "/api/v1/parties/1", "/p/visits/whoami"):
        assert "no authentication plugin" in problem(client.get(path), 401)["detail"]


def test_no_actor_is_sent_to_the_login_form_in_the_ui(make_crm):
    client = http_client(make_crm())

    page = client.get("/customers?search=ann", follow_redirects=False)

    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/customers%3Fsearch%3Dann"


def test_async_actor_from_request_is_awaited(make_crm):
    async def actor_from_request(app: Crm, request: Request) -> Actor | None:
        return ADMIN if request.headers.get("x-user") == "tester" else None

    crm = make_crm([plugin("asynclogin", actor_from_request=actor_from_request), visits()])
    client = http_client(crm)

    assert client.get("/p/visits/whoami", headers={"x-user": "tester"}).json()["actor"] == "tester"
    problem(client.get("/p/visits/whoami", headers={"x-user": "someone"}), 401)


def test_requests_are_authenticated_once_and_before_the_route_runs(make_crm):
    calls: list[str] = []
    ran: list[str] = []

    def actor_from_request(app: Crm, request: Request) -> Actor | None:
        calls.append(request.url.path)
        return ADMIN if request.headers.get("x-user") == "tester" else None

    def plain(request: Request) -> Response:
        ran.append(request.url.path)
        return JSONResponse({"actor": actor_of(request).username})

    crm = make_crm(
        [
            plugin("signon", actor_from_request=actor_from_request),
            plugin("reads", register_routes=lambda: [Route("/plain", plain)]),
        ]
    )
    client = http_client(crm)
    party_id = add_party(crm, last_name="Berg")
    tester = {"x-user": "tester"}

    assert client.get(f"/api/v1/customers/{party_id}", headers=tester).json()["id"] == party_id
    assert calls == [f"/api/v1/customers/{party_id}"]
    problem(client.get(f"/api/v1/customers/{party_id}"), 401)
    problem(client.get("/p/reads/plain"), 401)
    assert ran == []
    assert client.get("/p/reads/plain", headers=tester).json() == {"actor": "tester"}


def test_health_answers_without_an_actor(make_crm):
    client = http_client(make_crm([visits()]))

    health = client.get("/api/v1/health")

    assert health.status_code == 200
    assert health.json()["database"] == "ok"
    assert {"name": "visits", "version": None, "state": "loaded"} in health.json()["plugins"]


def test_health_is_503_when_the_database_does_not_answer(tmp_path):
    gone = f"sqlite:///{tmp_path / 'no such folder' / 'crmkit.db'}"
    crm = make_app([visits()], settings=Settings(database_url=gone), create_tables=False)
    try:
        health = http_client(crm).get("/api/v1/health")
    finally:
        crm.close()

    assert health.status_code == 503
    assert health.json()["status"] == "unavailable" and health.json()["database"] == "unreachable"
    assert {"name": "visits", "version": None, "state": "loaded"} in health.json()["plugins"]


def test_lifespan_starts_and_closes_the_crm(make_crm):
    seen: list[str] = []
    crm = make_crm(
        [
            plugin(
                "lifecycle",
                startup=lambda app: seen.append("startup"),
                shutdown=lambda app: seen.append("shutdown"),
            )
        ]
    )

    with http_client(crm) as client:
        assert seen == ["startup"]
        client.get("/api/v1/health")
    assert seen == ["startup", "shutdown"]


# --- Problem documents


def test_invalid_limit_is_a_problem_naming_the_field(make_crm):
    client = http_client(make_crm([login()]))

    assert problem(client.get("/api/v1/customers?limit=many"), 422)["field"] == "limit"
    assert problem(client.get("/api/v1/customers?limit=0"), 422)["field"] == "limit"
    # What int() would take but is no page size: signs, underscores, numbers beyond SQL's.
    for odd in ("-5", "1_0", "9" * 30):
        assert problem(client.get(f"/api/v1/customers?limit={odd}"), 422)["field"] == "limit"
    assert problem(client.get("/api/v1/prospects?sort=age"), 422)["field"] == "sort"


def test_unknown_query_parameter_is_refused_not_ignored(make_crm):
    client = http_client(make_crm([login()]))

    assert problem(client.get("/api/v1/customers?lmit=5"), 422)["field"] == "lmit"


def test_status_filter_is_refused_for_customers_which_have_no_status(make_crm):
    crm = make_crm([login()])
    add_party(crm, last_name="Weber")
    add_party(crm, "prospect", last_name="Roth")
    client = http_client(crm)

    refused = problem(client.get("/api/v1/customers?status=new"), 422)
    prospects = client.get("/api/v1/prospects?status=new").json()["items"]

    assert refused["field"] == "status" and "customers have no status" in refused["detail"]
    assert [p["last_name"] for p in prospects] == ["Roth"]
    assert client.get("/api/v1/customers").json()["items"][0]["last_name"] == "Weber"


def test_malformed_cursor_is_a_problem(make_crm):
    crm = make_crm([login()])
    party_id = add_party(crm, last_name="Weber")
    client = http_client(crm)

    assert problem(client.get("/api/v1/customers?cursor=bm9wZQ"), 422)["field"] == "cursor"
    timeline = client.get(f"/api/v1/parties/{party_id}/timeline?cursor=%%%")
    assert problem(timeline, 422)["field"] == "cursor"


def test_missing_party_is_a_404_problem(make_crm):
    client = http_client(make_crm([login()]))

    assert "party 404 does not exist" in problem(client.get("/api/v1/parties/404"), 404)["detail"]
    assert client.get("/parties/404").status_code == 404


def test_actor_without_permission_gets_403(make_crm):
    # A role the kernel's role matrix does not know holds no permission.
    reader = Actor(user_id=None, username="reader", role="guest")
    client = http_client(make_crm([login(reader)]))

    assert "may not core:party.read" in problem(client.get("/api/v1/prospects"), 403)["detail"]


def test_oversized_body_is_refused_with_413(make_crm):
    crm = make_crm([login(), visits()], settings=Settings(max_body_bytes=100))
    client = http_client(crm)

    declared = client.post("/p/visits/echo", content=b"[" + b"1," * 100 + b"1]")
    streamed = client.post("/p/visits/echo", content=iter([b"[1", b",1" * 100, b"]"]))

    assert "100 bytes" in problem(declared, 413)["detail"]
    problem(streamed, 413)
    assert client.post("/p/visits/echo", content=b"[1, 2]").json() == {"received": [1, 2]}


def test_malformed_json_body_is_a_400_problem(make_crm):
    client = http_client(make_crm([login(), visits()]))

    body = problem(client.post("/p/visits/echo", content=b'{"name": '), 400)

    assert body["field"] == "body"
    assert "line 1" in body["detail"]


class ErpDown(Exception):
    pass


def test_hook_handle_exception(make_crm):
    """A plugin's handle_exception answers first; what it declines gets the kernel's mapping."""

    def fail(request: Request) -> Response:
        raise ErpDown("connection refused by erp.internal:3300")

    def handle_exception(request: Request, exc: Exception) -> Response | None:
        if isinstance(exc, ErpDown):
            return JSONResponse({"title": "ERP unavailable"}, status_code=503)
        return None

    erp = plugin("erp", register_routes=lambda: [Route("/orders", fail)])
    handler = plugin("erpguard", handle_exception=handle_exception)
    client = http_client(make_crm([login(), erp, handler]))

    assert client.get("/p/erp/orders").status_code == 503
    problem(client.get("/api/v1/parties/1"), 404)


def test_unexpected_exception_is_a_500_that_leaks_nothing(make_crm, caplog):
    def fail(request: Request) -> Response:
        raise ErpDown("connection refused by erp.internal:3300")

    client = http_client(
        make_crm([login(), plugin("erp", register_routes=lambda: [Route("/orders", fail)])])
    )

    answer = client.get("/p/erp/orders")

    body = problem(answer, 500)
    assert "erp.internal" not in answer.text and "Traceback" not in answer.text
    assert body["title"] == "Internal server error"
    assert any(r.exc_info and r.exc_info[0] is ErpDown for r in caplog.records)


def test_a_browser_on_a_plugin_page_gets_an_error_page_and_a_program_a_problem(make_crm):
    # Plugins serve pages beside their API under /p/: a person who follows a stale link sees
    # a page, with the status and headers a program would get in a problem document.
    def gone(request: Request) -> Response:
        raise HTTPException(429, "try again in 30 s", headers={"Retry-After": "30"})

    client = http_client(
        make_crm([login(), plugin("erp", register_routes=lambda: [Route("/orders", gone)])])
    )
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}

    page = client.get("/p/erp/orders", headers=browser)
    missing = client.get("/p/erp/no-such-page", headers=browser)

    assert page.status_code == 429 and page.headers["content-type"].startswith("text/html")
    assert page.headers["retry-after"] == "30" and "try again in 30 s" in page.text
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert problem(client.get("/p/erp/orders"), 429)["detail"] == "try again in 30 s"
    assert problem(client.get("/api/v1/parties/1", headers=browser), 404)


# --- The read-only API


def test_party_json_comes_through_the_converter(make_crm):
    crm = make_crm([login()])
    party_id = add_party(
        crm,
        first_name="Jana",
        last_name="Weber",
        emails=["Jana.Weber@Mail.example"],
        phones=["030 1234567"],
        addresses=[{"street": "Hauptstraße", "city": "Berlin", "country": "de"}],
    )
    client = http_client(crm)

    party = client.get(f"/api/v1/parties/{party_id}").json()

    assert party["role"] == "customer" and party["display_name"] == "Jana Weber"
    assert party["emails"] == ["Jana.Weber@Mail.example"]
    assert party["phones"] == ["+49301234567"]
    assert party["addresses"][0]["country"] == "DE"
    assert re.match(r"\d{4}-\d\d-\d\dT", party["created_at"])


def test_cursor_pagination_is_complete_and_stable_under_inserts(make_crm):
    crm = make_crm([login()])
    # Equal names make the id the tie-breaker.
    ids = {add_party(crm, last_name=f"Name {i % 4}") for i in range(23)}
    client = http_client(crm)

    for sort in ("name", "-name", "created", "-updated"):
        seen = [p["id"] for p in all_pages(client, f"/api/v1/customers?limit=5&sort={sort}")]
        assert sorted(seen) == sorted(ids), sort

    first = client.get("/api/v1/customers?limit=5").json()
    add_party(crm, last_name="Aaron")  # sorts before the cursor: must not shift later pages
    rest = list(all_pages(client, "/api/v1/customers?limit=5", first["next_cursor"]))
    seen = [p["id"] for p in first["items"]] + [p["id"] for p in rest]
    assert len(seen) == len(set(seen)) == len(ids)
    names = [p["display_name"] for p in first["items"] + rest]
    assert names == sorted(names)


def test_custom_field_filters_narrow_the_list(make_crm):
    loyalty = plugin(
        "loyalty",
        register_custom_fields=lambda: [
            CustomField("customer", "loyalty_tier", "choice", choices=("bronze", "silver", "gold")),
            CustomField("customer", "loyalty_points", "integer"),
        ],
    )
    crm = make_crm([login(), loyalty])
    for name, tier, points in [("A", "gold", 500), ("B", "silver", 120), ("C", "gold", 20)]:
        add_party(crm, last_name=name, custom={"loyalty_tier": tier, "loyalty_points": points})
    client = http_client(crm)

    def names(query: str) -> list[str]:
        answer = client.get(f"/api/v1/customers?{query}")
        assert answer.status_code == 200, answer.text
        return [p["last_name"] for p in answer.json()["items"]]

    assert names("custom.loyalty_tier=gold") == ["A", "C"]
    assert names("custom.loyalty_points[ge]=100") == ["A", "B"]
    assert names("custom.loyalty_tier=gold&custom.loyalty_points[lt]=100") == ["C"]
    bad_op = client.get("/api/v1/customers?custom.loyalty_points[about]=3")
    assert problem(bad_op, 422)["field"] == "custom.loyalty_points"
    unknown = client.get("/api/v1/customers?custom.shoe_size=42")
    assert problem(unknown, 422)["field"] == "custom.shoe_size"


def test_search_finds_parties_by_name_email_and_phone(make_crm):
    crm = make_crm([login()])
    add_party(crm, last_name="Krüger", emails=["k@dealer.example"], phones=["+49 30 5550123"])
    add_party(
        crm, last_name="Schmidt", emails=["info@schmidt.example"], phones=["+33 6 12 34 56 78"]
    )
    client = http_client(crm)

    def found(q: str) -> list[str]:
        return [
            p["last_name"] for p in client.get("/api/v1/customers", params={"q": q}).json()["items"]
        ]

    assert found("krüg") == ["Krüger"]
    assert found("SCHMIDT.EXAMPLE") == ["Schmidt"]
    assert found("030 555") == ["Krüger"]
    assert found("%") == []
    assert "Krüger" in client.get("/customers", params={"q": "dealer"}).text


def test_permission_filter_limits_lists_detail_and_counts(make_crm):
    def permission_filter(actor: Actor, entity_type: str, table: Table) -> Any:
        return table.c.display_name.like("A%") if entity_type == "customer" else None

    crm = make_crm([login(), plugin("territory", permission_filter=permission_filter)])
    anna = add_party(crm, first_name="Anna", last_name="Albers")
    bernd = add_party(crm, first_name="Bernd", last_name="Brandt")
    client = http_client(crm)

    assert [p["id"] for p in client.get("/api/v1/customers").json()["items"]] == [anna]
    assert client.get(f"/api/v1/parties/{anna}").status_code == 200
    problem(client.get(f"/api/v1/parties/{bernd}"), 404)
    problem(client.get(f"/api/v1/parties/{bernd}/timeline"), 404)
    assert "Bernd" not in client.get("/customers").text
    assert "<strong>1</strong> customers" in client.get("/").text


def test_timeline_api_pages_newest_first(make_crm):
    crm = make_crm([login()])
    party_id = add_party(crm, last_name="Weber")
    for day in range(1, 6):
        log(crm, party_id, subject=f"call {day}", occurred_at=f"2024-05-0{day}T10:00:00+00:00")
    client = http_client(crm)

    subjects = [
        i["subject"] for i in all_pages(client, f"/api/v1/parties/{party_id}/timeline?limit=2")
    ]

    assert subjects == ["call 5", "call 4", "call 3", "call 2", "call 1"]


# --- Pages and what plugins put into them


def test_hook_menu_items(make_crm):
    """Plugin menu items appear in the navigation, by order, when the actor may use them."""

    def menu_items(actor: Actor) -> list[MenuItem]:
        return [
            MenuItem("Visits", "/p/visits/", order=30),
            MenuItem("Payroll", "/p/payroll/", permission="payroll:read"),
        ]

    def permission_check(actor: Actor, action: str, resource: Any) -> bool | None:
        return False if action == "payroll:read" else None

    guard = plugin("payroll", permission_check=permission_check)
    client = http_client(make_crm([login(), plugin("visits", menu_items=menu_items), guard]))

    home = client.get("/").text

    assert '<a href="/p/visits/">Visits</a>' in home
    assert "Payroll" not in home
    assert home.index(">Prospects<") < home.index(">Visits<")


def test_hook_entity_actions(make_crm):
    """Plugin actions are offered on the page of the entity they are for."""

    def entity_actions(actor: Actor, entity_type: str, entity: Any) -> list[MenuItem] | None:
        if entity_type != "customer":
            return None
        return [MenuItem("Open case", f"/p/service/cases/new?party_id={entity.id}")]

    crm = make_crm([login(), plugin("service", entity_actions=entity_actions)])
    customer = add_party(crm, last_name="Weber")
    prospect = add_party(crm, "prospect", last_name="Vogt")
    client = http_client(crm)

    assert (
        f'href="/p/service/cases/new?party_id={customer}"'
        in client.get(f"/parties/{customer}").text
    )
    assert "Open case" not in client.get(f"/parties/{prospect}").text


def widgets(*chosen: str) -> PluginInfo:
    def broken(app: Crm, actor: Actor) -> str:
        raise RuntimeError("widget bug")

    return plugin(
        "board",
        register_widgets=lambda: [
            Widget(
                "board.hello",
                "Hello",
                lambda app, actor: f"<p class=hi>Hi {escape(actor.username)}</p>",
            ),
            Widget("board.broken", "Broken", broken),
            Widget("board.secret", "Secret", lambda app, actor: "<p>secret</p>", "board:secret"),
        ],
        dashboard_widgets=lambda actor: list(chosen),
    )


def test_hook_register_widgets(make_crm):
    """Registered widgets render as tiles; a failing one becomes an error tile, the rest render."""
    client = http_client(make_crm([login(), widgets("board.broken", "board.hello")]))

    home = client.get("/")

    assert home.status_code == 200
    assert "<p class=hi>Hi tester</p>" in home.text
    assert "This tile failed" in home.text and "widget bug" not in home.text


def test_hook_dashboard_widgets(make_crm):
    """dashboard_widgets chooses the tiles and their order; permissions still apply."""
    reader = Actor(user_id=None, username="reader", role="read-only")
    client = http_client(
        make_crm([login(reader), widgets("board.hello", "board.secret", "board.nope")])
    )

    home = client.get("/").text

    tiles = re.findall(r'data-widget="([^"]+)"', home)
    assert tiles == ["board.hello", "board.nope"]  # the secret one needs a permission
    assert "No widget named &#39;board.nope&#39; is registered" in home


def test_hook_timeline_renderers(make_crm):
    """Entries of a source with a renderer are rendered by it; the others by the kernel."""

    def render_call(interaction: Any) -> str:
        return f"<em class=call>{escape(interaction.subject)}</em>"

    crm = make_crm([login(), plugin("calls", timeline_renderers=lambda: {"calls": render_call})])
    party_id = add_party(crm, last_name="Weber")
    log(
        crm,
        party_id,
        source="calls",
        subject="Rang <back>",
        occurred_at="2024-05-02T10:00:00+00:00",
    )
    log(crm, party_id, subject="Plain <entry>", occurred_at="2024-05-01T10:00:00+00:00")
    client = http_client(crm)

    page = client.get(f"/parties/{party_id}").text

    assert "<em class=call>Rang &lt;back&gt;</em>" in page
    assert "<strong>Plain &lt;entry&gt;</strong>" in page
    assert page.index("Rang") < page.index("Plain")


def test_hook_party_panels(make_crm):
    """Plugins' panels show on a party's page by order, rendered on the page's connection; a
    failing one is replaced by a note and the page still renders."""

    def broken(conn: Any) -> str:
        raise RuntimeError("panel bug")

    def count(conn: Any) -> str:
        return f"<p class=count>{conn.execute(select(func.count()).select_from(party_table)).scalar_one()} parties</p>"

    def panels(app: Crm, actor: Actor, party: Any) -> list[Panel]:
        return [
            Panel(
                "Points", lambda conn: f"<p class=points>{escape(party.display_name)}: 120</p>", 20
            ),
            Panel("Broken", broken, 30),
            Panel("Census", count, 10),
        ]

    crm = make_crm([login(), plugin("loyal", party_panels=panels)])
    party_id = add_party(crm, last_name="Weber")
    page = http_client(crm).get(f"/parties/{party_id}")

    assert page.status_code == 200
    text = page.text
    assert "<p class=points>Weber: 120</p>" in text and "<p class=count>1 parties</p>" in text
    assert "This section failed" in text and "panel bug" not in text
    assert text.index("Census") < text.index("Points") < text.index("Broken")


def test_a_timeline_source_claimed_twice_stops_the_web_app(make_crm):
    first = plugin("calls", timeline_renderers=lambda: {"calls": str})
    second = plugin("phones", timeline_renderers=lambda: {"calls": str})

    with pytest.raises(PluginError, match="source 'calls' is rendered by"):
        create_asgi(make_crm([first, second]))


def test_party_page_pages_the_timeline_with_an_older_link(make_crm):
    crm = make_crm([login()])
    party_id = add_party(crm, last_name="Weber", emails=["weber@firm.example"])
    for i in range(30):
        log(crm, party_id, subject=f"entry {i:02}", occurred_at=f"2024-01-01T10:{i:02}:00+00:00")
    client = http_client(crm)

    first = client.get(f"/parties/{party_id}").text
    older = re.search(r'href="(\?cursor=[^"]+)" rel="next">Older', first)
    assert older is not None
    second = client.get(f"/parties/{party_id}{older[1]}").text

    assert "entry 29" in first and "entry 05" in first and "entry 04" not in first
    assert "entry 04" in second and "entry 00" in second and "Older" not in second
    assert "weber@firm.example" in first


def test_pages_use_only_local_assets(make_crm):
    crm = make_crm([login()])
    add_party(crm, last_name="Weber", phones=["+49 30 1234567"])
    client = http_client(crm)

    for path in ("/", "/customers", "/prospects", "/parties/1"):
        page = client.get(path)
        assert page.status_code == 200, path
        for url in re.findall(r'(?:href|src)="([^"]+)"', page.text):
            assert url.startswith(("/", "?", "mailto:", "tel:")), (path, url)
    assert client.get("/static/crmkit.css").headers["content-type"].startswith("text/css")
