"""Fixtures of the social plugin's tests: a CRM with social (and other plugins when asked),
staff, parties.

Each test runs on SQLite by default, on PostgreSQL with ``CRMKIT_TEST_DATABASE_URL``.
``client_as(actor)`` (the kernel's fixture) gives an HTTP client signed on as ``actor``.
Each part's fixtures follow under its own heading.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import pytest
from attrs import frozen

from crmkit import Actor, Crm
from crmkit.testing import Staff as Staff
from crmkit.testing import add_user, crm_maker

CrmMaker = Callable[..., Crm]


@pytest.fixture
def make_social(make_crm: Callable[..., Crm]) -> CrmMaker:
    """``make_social(social={...}, with_plugins=("sfa",), settings={...})``: a CRM with the
    social plugin, the named plugins and these settings (``settings``: other plugins' tables)."""
    return crm_maker(make_crm, "social")


@pytest.fixture
def crm(make_social: CrmMaker) -> Crm:
    """A CRM with the social plugin alone, default settings, tables created."""
    return make_social()


PartyMaker = Callable[..., int]


# --- accounts

GRAPH_VERSION = "v21.0"
TEST_APP_SECRET = "test-app-secret-3f9a"
TEST_VERIFY_TOKEN = "test-verify-token-77"
TEST_TOKEN_KEY = "m1Uq0xKd2bq2Vf3JvT3y4sWq0mKJ8n3ZTzO9rWcPj5E="  # a Fernet key, for tests only


class GraphRequest(NamedTuple):
    """A request the loopback Graph server received (a tuple too: ``method, path, query, body,
    headers``); ``path`` is relative to ``graph.url``, ``body`` the JSON or form posted."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]


class GraphServer:
    """A Graph-shaped HTTP server on 127.0.0.1, answering what the test told it to.

    ``respond(method, path, status, json_body, headers=None, times=None)`` sets the answer to
    ``method path`` (``path`` relative to ``url``, e.g. ``/me`` or ``/1001/subscribed_apps``;
    ``times=None``: always, else that many times before the previous answer comes back);
    ``fail(method, path, status, times)`` answers a transient Graph error ``times`` times.
    Anything not set is a 404 Graph error. ``requests`` records what came in.
    ``while_answering(method, path, call)``: ``call()`` runs on the server's thread before
    each answer to ``method path`` (the client waits for it meanwhile).
    """

    def __init__(self) -> None:
        import threading
        from http.server import ThreadingHTTPServer

        self.requests: list[GraphRequest] = []
        self._answers: dict[tuple[str, str], list[list[Any]]] = {}
        self._during: dict[tuple[str, str], Callable[[], None]] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/{GRAPH_VERSION}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def respond(
        self,
        method: str,
        path: str,
        status: int,
        json_body: Any,
        headers: dict[str, str] | None = None,
        times: int | None = None,
    ) -> None:
        with self._lock:
            stack = self._answers.setdefault((method.upper(), path), [])
            stack.append([status, json_body, dict(headers or {}), times])

    def fail(self, method: str, path: str, status: int, times: int) -> None:
        code = 4 if status == 429 else 2
        body = {
            "error": {
                "message": "Service temporarily unavailable",
                "type": "OAuthException",
                "code": code,
                "is_transient": True,
                "fbtrace_id": "AbCdEf",
            }
        }
        self.respond(method, path, status, body, times=times)

    def while_answering(self, method: str, path: str, call: Callable[[], None]) -> None:
        self._during[(method.upper(), path)] = call

    def requests_to(self, method: str, path: str) -> list[GraphRequest]:
        return [r for r in self.requests if r.method == method.upper() and r.path == path]

    def _answer(self, method: str, path: str) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            stack = self._answers.get((method, path), [])
            for entry in reversed(stack):
                if entry[3] is None:
                    return entry[0], entry[1], entry[2]
                if entry[3] > 0:
                    entry[3] -= 1
                    return entry[0], entry[1], entry[2]
        body = {
            "error": {
                "message": f"Unknown path components: {path}",
                "type": "OAuthException",
                "code": 803,
                "fbtrace_id": "AbCdEf",
            }
        }
        return 404, body, {}

    def _handler(self) -> Any:
        import json
        from http.server import BaseHTTPRequestHandler
        from urllib.parse import parse_qsl, urlsplit

        server = self
        prefix = f"/{GRAPH_VERSION}"

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in two writes: without this, Nagle holds the body back
            # until the client's delayed ACK (tens of ms a call on loopback), unlike Graph.
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                path = parts.path
                path = path[len(prefix) :] if path.startswith(prefix) else path
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                kind = self.headers.get("Content-Type") or ""
                body: Any
                if not raw:
                    body = None
                elif "json" in kind:
                    body = json.loads(raw)
                elif "form" in kind:
                    body = dict(parse_qsl(raw.decode()))
                else:
                    body = raw
                server.requests.append(
                    GraphRequest(
                        self.command,
                        path,
                        dict(parse_qsl(parts.query)),
                        body,
                        {k.lower(): v for k, v in self.headers.items()},
                    )
                )
                during = server._during.get((self.command, path))
                if during is not None:
                    during()
                status, answer, headers = server._answer(self.command, path)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _serve

        return Handler


@pytest.fixture
def graph() -> Any:
    """The loopback Graph server (see ``GraphServer``); the client's rate-limit pauses are
    forgotten before and after."""
    from crmkit_social.accounts.graph import DEAD_MARKS, USAGE

    USAGE.clear()
    server = GraphServer()
    try:
        yield server
    finally:
        DEAD_MARKS.wait()
        server.close()
        USAGE.clear()


@pytest.fixture
def social_settings(graph: GraphServer) -> dict[str, Any]:
    """The ``[plugins.social]`` table of a CRM talking to the loopback Graph server."""
    return {
        "accounts": {
            "graph_url": graph.url,
            "app_id": "4242",
            "app_secret": TEST_APP_SECRET,
            "token_key": TEST_TOKEN_KEY,
        },
        "webhooks": {"verify_token": TEST_VERIFY_TOKEN},
    }


@pytest.fixture
def social_crm(make_social: CrmMaker, social_settings: dict[str, Any]) -> Crm:
    """A CRM with the social plugin configured for the loopback Graph server."""
    return make_social(social=social_settings)


@pytest.fixture
def page() -> Callable[..., Any]:
    """``page(crm, page_id="1001", token="page-token-1001", platform="facebook",
    name="Autohaus Nord", expires_at=None)``: a connected, active page account (stored
    directly, no Graph call); its ``Account``."""

    def connect(
        crm: Crm,
        page_id: str = "1001",
        token: str = "page-token-1001",
        platform: str = "facebook",
        name: str = "Autohaus Nord",
        expires_at: Any = None,
    ) -> Any:
        from crmkit_social.accounts.model import account_by_page
        from crmkit_social.accounts.service import store_account

        with crm.transaction() as tx:
            store_account(
                tx,
                crm,
                platform=platform,
                page_id=page_id,
                name=name,
                token=token,
                expires_at=expires_at,
            )
        with crm.read() as conn:
            account = account_by_page(conn, page_id)
        assert account is not None
        return account

    return connect


# --- leads

LEAD_FORM = "5550001"


def lead_answer(
    leadgen_id: str,
    *,
    fields: dict[str, Any] | None = None,
    form_id: str = LEAD_FORM,
    disclaimers: list[dict[str, Any]] | None = None,
    organic: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """What Graph answers to ``GET /{leadgen_id}`` for a lead of ``fields`` (name -> value or
    values; Anna Berg of Berlin by default), as Meta's Lead Ads retrieving guide shows it."""
    given = (
        fields
        if fields is not None
        else {
            "full_name": "Anna Berg",
            "email": "anna.berg@web.de",
            "phone_number": "+4917041773520",
            "street_address": "Hauptstraße 12",
            "post_code": "10115",
            "city": "Berlin",
            "country": "DE",
        }
    )
    body: dict[str, Any] = {
        "created_time": "2026-12-06T10:15:30+0000",
        "id": leadgen_id,
        "form_id": form_id,
        "field_data": [
            {"name": name, "values": value if isinstance(value, list) else [value]}
            for name, value in given.items()
        ],
        "is_organic": organic,
        "platform": "fb",
    }
    if not organic:
        body.update(
            ad_id="23850001",
            ad_name="Winter tyres 2026",
            adset_id="23850002",
            adset_name="Berlin 25-55",
            campaign_id="23850003",
            campaign_name="Service campaign Q4",
        )
    if disclaimers is not None:
        body["custom_disclaimer_responses"] = disclaimers
    body.update(extra)
    return body


def leadgen_payload(
    *leadgen_ids: str, page_id: str = "1001", form_id: str = LEAD_FORM
) -> dict[str, Any]:
    """A webhook delivery of ``leadgen`` changes, one per id, in one entry."""
    return {
        "object": "page",
        "entry": [
            {
                "id": page_id,
                "time": 1765016130,
                "changes": [
                    {
                        "field": "leadgen",
                        "value": {
                            "ad_id": "23850001",
                            "form_id": form_id,
                            "leadgen_id": leadgen_id,
                            "created_time": 1765016130,
                            "page_id": page_id,
                            "adgroup_id": "23850002",
                        },
                    }
                    for leadgen_id in leadgen_ids
                ],
            }
        ],
    }


@pytest.fixture
def lead_account(social_crm: Crm, page: Callable[..., Any]) -> Any:
    """The connected page ``1001`` of ``social_crm``, whose leads the tests take."""
    return page(social_crm)


@pytest.fixture
def take_lead(social_crm: Crm, lead_account: Any, graph: GraphServer) -> Callable[..., None]:
    """``take_lead(leadgen_id, answer=None, status=200)``: serve the lead on the loopback
    Graph server (unless ``answer`` is False) and run the ``leadgen`` handler on its change,
    as the webhooks part's job does, in a transaction of the system."""
    from datetime import UTC, datetime

    from crmkit_social.leads.intake import fetch, take_change
    from crmkit_social.webhooks.model import Change

    def take(leadgen_id: str, answer: Any = None, status: int = 200) -> None:
        if answer is not False:
            body = answer if answer is not None else lead_answer(leadgen_id)
            graph.respond("GET", f"/{leadgen_id}", status, body)
        value = leadgen_payload(leadgen_id)["entry"][0]["changes"][0]["value"]
        change = Change(
            "page", "1001", "leadgen", value, datetime.now(UTC), f"leadgen:{leadgen_id}"
        )
        fetched = fetch(social_crm, lead_account, change)  # no transaction open
        with social_crm.transaction() as tx:
            take_change(tx, lead_account, change, fetched)

    return take


# --- webhooks


def hub_signature(body: bytes, secret: str = TEST_APP_SECRET) -> str:
    """``X-Hub-Signature-256`` of ``body`` as Meta computes it."""
    import hashlib
    import hmac

    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def delivery(
    page_id: str = "1001",
    *changes: dict[str, Any],
    obj: str = "page",
    messaging: list[dict[str, Any]] | None = None,
    time: int = 1733500000,
) -> dict[str, Any]:
    """A Meta delivery of one entry: ``changes`` are ``{"field": …, "value": …}`` items."""
    entry: dict[str, Any] = {"id": page_id, "time": time}
    if changes:
        entry["changes"] = list(changes)
    if messaging is not None:
        entry["messaging"] = messaging
    return {"object": obj, "entry": [entry]}


def leadgen(
    leadgen_id: str = "444555666",
    page_id: str = "1001",
    form_id: str = "9001",
    ad_id: str = "3001",
    adgroup_id: str = "2001",
) -> dict[str, Any]:
    """A ``leadgen`` change as Meta sends it."""
    return {
        "field": "leadgen",
        "value": {
            "leadgen_id": leadgen_id,
            "page_id": page_id,
            "form_id": form_id,
            "ad_id": ad_id,
            "adgroup_id": adgroup_id,
            "created_time": 1733500000,
        },
    }


@pytest.fixture
def post_delivery() -> Callable[..., Any]:
    """``post_delivery(client, payload_or_bytes, secret=TEST_APP_SECRET, headers=None)``: POST a
    signed delivery to the callback; the response."""

    def post(
        client: Any,
        payload: Any,
        secret: str = TEST_APP_SECRET,
        headers: dict[str, str] | None = None,
    ) -> Any:
        import json

        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        sent = {
            "content-type": "application/json",
            "x-hub-signature-256": hub_signature(body, secret),
        }
        sent.update(headers or {})
        return client.post("/p/social/webhooks/meta", content=body, headers=sent)

    return post


@pytest.fixture
def handled(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every field's handler replaced by one that records ``(account, change)``; set
    ``handled_raise.append(exc)`` … by assigning ``handled.fail = exc`` (raised each call)."""
    from crmkit_social.webhooks import process

    class Calls(list):  # type: ignore[type-arg]
        fail: BaseException | None = None

    calls = Calls()

    def handler(tx: Any, account: Any, change: Any, fetched: Any) -> None:
        if calls.fail is not None:
            raise calls.fail
        calls.append((account, change))

    monkeypatch.setattr(process, "handler_for", lambda field: handler)
    return calls


@pytest.fixture
def staff_admin(client_as: Any) -> Callable[[Crm], Any]:
    """``staff_admin(crm)``: an HTTP client of ``crm`` signed on as a new admin."""

    def make(crm: Crm) -> Any:
        import uuid

        admin = add_user(crm, f"admin-{uuid.uuid4().hex[:8]}", "admin", team="it")
        return client_as(admin)

    return make


# --- conversations


@frozen
class Convo:
    """A CRM talking to the loopback Graph server, its connected page ``1001`` and an admin."""

    crm: Crm
    account: Any
    graph: GraphServer
    admin: Actor


ConvoMaker = Callable[..., Convo]


@pytest.fixture
def make_convo(
    make_social: CrmMaker,
    social_settings: dict[str, Any],
    page: Callable[..., Any],
    graph: GraphServer,
) -> ConvoMaker:
    """``make_convo(with_plugins=(), **conversations)``: a ``Convo`` whose
    ``[plugins.social.conversations]`` is ``conversations``; the channels plugin hands its
    messages over at once (no pacing)."""

    def factory(with_plugins: tuple[str, ...] = (), **conversations: Any) -> Convo:
        social = {**social_settings, "conversations": conversations}
        settings = {"channels": {"rate_per_second": 1000.0, "first_retry_seconds": 1.0}}
        crm = make_social(social=social, with_plugins=with_plugins, settings=settings)
        account = page(crm)
        admin = add_user(crm, "ada", "admin", team="it")
        return Convo(crm, account, graph, admin)

    return factory


@pytest.fixture
def convo(make_convo: ConvoMaker) -> Convo:
    return make_convo()


def messaging_event(
    psid: str, mid: str, text: str, page_id: str = "1001", at_ms: int | None = None
) -> dict[str, Any]:
    """A Messenger ``messaging[]`` event: ``psid`` wrote ``text`` to the page."""
    import time

    return {
        "sender": {"id": psid},
        "recipient": {"id": page_id},
        "timestamp": at_ms if at_ms is not None else int(time.time() * 1000),
        "message": {"mid": mid, "text": text},
    }


def feed_comment(
    comment_id: str,
    text: str,
    author_id: str = "7001",
    author: str = "Erika Brandt",
    post_id: str = "1001_5001",
) -> dict[str, Any]:
    """A ``feed`` change's value: a visitor commented on a page post."""
    return {
        "item": "comment",
        "verb": "add",
        "comment_id": comment_id,
        "post_id": post_id,
        "parent_id": post_id,
        "from": {"id": author_id, "name": author},
        "message": text,
        "created_time": 1733500000,
    }


def take_social(convo: Convo, field: str, value: dict[str, Any], key: str | None = None) -> None:
    """Run the conversations handler on one change, as the webhooks job does (as the system)."""
    from datetime import UTC, datetime

    from crmkit_social.conversations.inbound import fetch, take_change
    from crmkit_social.webhooks.model import Change

    key = key or f"{field}:{sorted(value.items())!r}"
    change = Change("page", convo.account.page_id, field, value, datetime.now(UTC), key)
    fetched = fetch(convo.crm, convo.account, change)  # no transaction open
    with convo.crm.transaction() as tx:
        take_change(tx, convo.account, change, fetched)
