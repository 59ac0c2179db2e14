"""The Graph client against a loopback Graph server: errors sorted into transient and
permanent, Meta's rate-limit headers obeyed, dead tokens marked, tokens never in errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from crmkit import Crm

from .conftest import GraphServer

TOKEN = "page-token-1001"


@pytest.fixture
def client(social_crm: Crm, page: Any) -> Any:
    from crmkit_social.accounts.graph import graph_client

    return graph_client(social_crm, page(social_crm))


def graph_error(code: int, message: str = "error", **more: Any) -> dict[str, Any]:
    return {"error": {"message": message, "type": "OAuthException", "code": code, **more}}


def test_get_post_and_delete_answer_the_json_object(client: Any, graph: GraphServer) -> None:
    graph.respond("GET", "/444555666", 200, {"id": "444555666", "field_data": []})
    graph.respond("POST", "/me/messages", 200, {"recipient_id": "psid-1", "message_id": "m_1"})
    graph.respond("DELETE", "/55_66", 200, {"success": True})
    assert client.get("/444555666", {"fields": "field_data"})["id"] == "444555666"
    assert client.post("/me/messages", {"recipient": {"id": "psid-1"}})["message_id"] == "m_1"
    assert client.delete("/55_66") == {"success": True}
    posted = graph.requests_to("POST", "/me/messages")[0]
    assert posted.body == {"recipient": {"id": "psid-1"}}
    assert graph.requests_to("GET", "/444555666")[0].query["fields"] == "field_data"


@pytest.mark.parametrize(
    ("status", "body", "transient"),
    [
        (500, graph_error(1, "An unknown error occurred"), True),
        (503, {"oops": True}, True),
        (400, graph_error(4, "Application request limit reached"), True),
        (400, graph_error(17, "User request limit reached"), True),
        (400, graph_error(32, "Page request limit reached"), True),
        (400, graph_error(613, "Calls to this api have exceeded the rate limit"), True),
        (400, graph_error(80001, "There have been too many calls to this Page account"), True),
        (400, graph_error(80014, "Too many calls"), True),
        (429, {}, True),
        (400, graph_error(100, "Invalid parameter"), False),
        (403, graph_error(10, "Permission denied"), False),
        (404, graph_error(803, "Some of the aliases you requested do not exist"), False),
    ],
)
def test_errors_are_transient_for_5xx_429_and_rate_limits_else_permanent(
    client: Any, graph: GraphServer, status: int, body: dict[str, Any], transient: bool
) -> None:
    from crmkit_social.accounts.graph import GraphError

    graph.respond("GET", "/x", status, body)
    with pytest.raises(GraphError) as caught:
        client.get("/x")
    assert caught.value.status == status
    assert caught.value.transient is transient
    assert caught.value.code == body.get("error", {}).get("code")
    assert TOKEN not in str(caught.value)


def test_a_dropped_connection_and_a_timeout_are_transient(
    make_social: Any, social_settings: dict[str, Any], page: Any
) -> None:
    import socket
    import threading

    from crmkit_social.accounts.graph import GraphError, graph_client

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]

    def hang_up() -> None:
        for _ in range(2):
            conn, _ = listener.accept()
            conn.recv(1024)
            conn.close()  # no answer at all

    threading.Thread(target=hang_up, daemon=True).start()
    settings = {
        **social_settings,
        "accounts": {
            **social_settings["accounts"],
            "graph_url": f"http://127.0.0.1:{port}/v21.0",
            "timeout_seconds": 2,
        },
    }
    crm = make_social(social=settings)
    client = graph_client(crm, page(crm))
    with pytest.raises(GraphError) as caught:
        client.get("/me")
    assert caught.value.transient and caught.value.status == 0
    listener.close()


def test_retry_after_comes_from_the_header_or_metas_estimate(
    client: Any, graph: GraphServer
) -> None:
    from crmkit_social.accounts.graph import USAGE, GraphError

    graph.respond("GET", "/a", 429, {}, headers={"Retry-After": "120"})
    with pytest.raises(GraphError) as caught:
        client.get("/a")
    assert caught.value.retry_after == 120
    USAGE.clear()
    usage = {
        "1001": [
            {
                "type": "pages",
                "call_count": 100,
                "total_cputime": 20,
                "total_time": 30,
                "estimated_time_to_regain_access": 7,
            }
        ]
    }
    graph.respond(
        "GET",
        "/b",
        400,
        graph_error(80001, "Too many calls"),
        headers={"X-Business-Use-Case-Usage": json.dumps(usage)},
    )
    with pytest.raises(GraphError) as caught:
        client.get("/b")
    assert caught.value.retry_after == 7 * 60


def test_the_client_stops_before_going_over_the_usage_meta_reports(
    client: Any, graph: GraphServer
) -> None:
    from crmkit_social.accounts.graph import GraphError

    graph.respond(
        "GET",
        "/me",
        200,
        {"id": "1001"},
        headers={
            "X-App-Usage": json.dumps({"call_count": 95, "total_cputime": 10, "total_time": 12})
        },
    )
    assert client.get("/me") == {"id": "1001"}  # the answer is used ...
    with pytest.raises(GraphError) as caught:  # ... but the next call waits
        client.get("/me")
    assert caught.value.transient and caught.value.retry_after is not None
    assert len(graph.requests_to("GET", "/me")) == 1


def test_usage_below_the_limit_lets_calls_through(client: Any, graph: GraphServer) -> None:
    graph.respond(
        "GET",
        "/me",
        200,
        {"id": "1001"},
        headers={
            "X-App-Usage": json.dumps({"call_count": 40, "total_cputime": 10, "total_time": 12})
        },
    )
    for _ in range(3):
        client.get("/me")
    assert len(graph.requests_to("GET", "/me")) == 3


def test_a_dead_token_marks_the_account_and_its_calls_wait_for_a_reconnect(
    social_crm: Crm, page: Any, graph: GraphServer
) -> None:
    from crmkit_social.accounts.graph import DEAD_MARKS, GraphError, graph_client
    from crmkit_social.accounts.service import account_view, list_accounts

    account = page(social_crm)
    graph.respond(
        "POST",
        "/me/messages",
        400,
        graph_error(
            190,
            "Error validating access token: The session has been invalidated",
            error_subcode=460,
        ),
    )
    with pytest.raises(GraphError) as caught:
        graph_client(social_crm, account).post("/me/messages", {"message": {"text": "Hi"}})
    assert caught.value.code == 190 and caught.value.transient
    with pytest.raises(GraphError):  # known at once, before the mark is written
        graph_client(social_crm, account)
    DEAD_MARKS.wait()
    with social_crm.read() as conn:
        shown = account_view(conn, account.id)
        assert [a.token_state for a in list_accounts(conn)] == ["dead"]
    assert shown.token_state == "dead"
    assert "session has been invalidated" in (shown.token_problem or "")
    with pytest.raises(GraphError) as waiting:
        graph_client(social_crm, account)
    assert waiting.value.transient and waiting.value.retry_after is not None
    assert len(graph.requests) == 1  # nothing more sent


def test_a_demo_page_never_calls_out(social_crm: Crm, graph: GraphServer) -> None:
    from crmkit_social.accounts.graph import GraphError, graph_client
    from crmkit_social.accounts.model import account_by_page
    from crmkit_social.accounts.service import store_account

    with social_crm.transaction() as tx:
        store_account(
            tx,
            social_crm,
            platform="facebook",
            page_id="77",
            name="Demo",
            token="",
            expires_at=None,
            demo=True,
        )
    with social_crm.read() as conn:
        account = account_by_page(conn, "77")
    assert account is not None
    with pytest.raises(GraphError) as caught:
        graph_client(social_crm, account)
    assert not caught.value.transient
    assert graph.requests == []


class _CountingGraph:
    """A keep-alive HTTP/1.1 server on 127.0.0.1 counting the connections it accepts."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        outer = self
        self.connections = 0
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def setup(self) -> None:
                with outer._lock:
                    outer.connections += 1
                super().setup()

            def do_GET(self) -> None:
                data = b'{"id": "me"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v21.0"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_calls_share_one_pooled_client_per_base_url_closed_at_shutdown(
    make_social: Any, social_settings: dict[str, Any], page: Any
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from crmkit_social.accounts.graph import CLIENTS, graph_client

    server = _CountingGraph()
    try:
        settings = {
            **social_settings,
            "accounts": {**social_settings["accounts"], "graph_url": server.url},
        }
        crm = make_social(social=settings)
        crm.start()  # as a server or worker does: its close runs the shutdown hooks
        first = graph_client(crm, page(crm))
        second = graph_client(crm, page(crm, page_id="1002", token="page-token-1002"))
        calls = [first, second] * 20
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda client: client.get("/me"), calls))
        assert answers == [{"id": "me"}] * 40
        # 40 calls of two pages from four threads: at most one connection per thread, kept.
        assert 1 <= server.connections <= 4
        shared = CLIENTS.get(server.url, first._timeout, None)
        assert not shared.is_closed
        crm.close()  # the plugin's shutdown hook closes the pooled clients
        assert shared.is_closed and len(CLIENTS) == 0
        # A call after the shutdown (another CRM of the process) gets a new client, timeout kept.
        assert first.get("/me") == {"id": "me"}
        renewed = CLIENTS.get(server.url, first._timeout, None)
        assert renewed is not shared and renewed.timeout.read == first._timeout
    finally:
        CLIENTS.close()
        server.close()
