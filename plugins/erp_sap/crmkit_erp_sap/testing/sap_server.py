"""``SapServer``: an HTTP server on 127.0.0.1 in a thread that answers like an SAP Gateway.

It checks sign-on (basic or an OAuth 2 bearer token from its own token endpoint), hands
out CSRF tokens and demands them on writes, injects the faults a test switches on, and
passes each call to the service mounted under ``/sap/opu/odata/sap/<SERVICE>/``.
"""

from __future__ import annotations

import base64
import json
import secrets
import socket
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from attrs import define, field, frozen

if TYPE_CHECKING:
    from crmkit_erp_sap.testing.business_partners import BusinessPartners

SERVICE_ROOT = "/sap/opu/odata/sap/"
TOKEN_PATH = "/oauth/token"


@frozen
class SapRequest:
    """One call to a mounted service: ``path`` is what follows the service root
    (``A_SalesOrder``, ``A_SalesOrder('1')``, ``$batch``, ``$metadata``, or ``""``)."""

    method: str
    service: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes
    base_url: str
    """The server's root URL, for writing absolute links (``__next``, ``__metadata.uri``)."""


@frozen
class SapResponse:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(factory=dict)


class Service(Protocol):
    """A mounted OData service: answers a call, or None to drop the connection unanswered."""

    def handle(self, request: SapRequest) -> SapResponse | None: ...


def json_answer(d: Any, status: int = 200) -> SapResponse:
    """An OData V2 JSON answer ``{"d": d}``."""
    return SapResponse(status, json.dumps({"d": d}, separators=(",", ":")).encode())


def odata_error(status: int, code: str, message: str) -> SapResponse:
    """An SAP Gateway error answer."""
    body = {"error": {"code": code, "message": {"lang": "en", "value": message}}}
    return SapResponse(status, json.dumps(body).encode())


@define
class Faults:
    """Faults a test switches on; each counts down as calls meet it (all calls, every service)."""

    throttled: int = 0
    """The next this-many calls answer 429 with ``Retry-After: retry_after``."""
    retry_after: str = "0"
    unavailable: int = 0
    """The next this-many calls answer 503."""
    dropped: int = 0
    """The next this-many calls get their connection closed without an answer."""
    expire_csrf: bool = False
    """The next write finds its CSRF token expired (403 ``X-CSRF-Token: Required``)."""
    every: Callable[[SapRequest], bool] | None = None
    """When set, only calls it picks meet the counted faults above."""
    _lock: threading.Lock = field(factory=threading.Lock, init=False, repr=False)

    def take(self, request: SapRequest) -> SapResponse | bool | None:
        """The fault this call meets: an answer, None (drop), or False (no fault)."""
        with self._lock:
            if self.every is not None and not self.every(request):
                return False
            if self.throttled:
                self.throttled -= 1
                return SapResponse(429, b"", headers={"Retry-After": self.retry_after})
            if self.unavailable:
                self.unavailable -= 1
                return odata_error(503, "SERVICE_UNAVAILABLE", "the system is busy")
            if self.dropped:
                self.dropped -= 1
                return None
        return False


class SapServer:
    """``with SapServer(user="CRM", password="secret") as sap: sap.url ...``

    Serves ``API_BUSINESS_PARTNER`` from ``partners`` (a :class:`BusinessPartners`, by
    default 100 partners from seed 1). Sign-on: basic with ``user``/``password``, or a
    bearer token from ``POST {url}/oauth/token`` (client credentials ``client_id`` /
    ``client_secret``, lifetime ``token_lifetime`` seconds).
    """

    def __init__(
        self,
        partners: BusinessPartners | None = None,
        *,
        user: str = "CRM_SYNC",
        password: str = "s3cret",
        client_id: str = "crmkit",
        client_secret: str = "client-s3cret",
        token_lifetime: int = 3600,
    ) -> None:
        from crmkit_erp_sap.testing.business_partners import BusinessPartners

        self.partners: BusinessPartners = (
            partners if partners is not None else BusinessPartners(seed=1, count=100)
        )
        self.user, self.password = user, password
        self.client_id, self.client_secret = client_id, client_secret
        self.token_lifetime = token_lifetime
        self.faults = Faults()
        self.calls: list[tuple[str, str]] = []
        """(method, path with query) of every call, in order."""
        self._services: dict[str, Service] = {"API_BUSINESS_PARTNER": self.partners}
        self._tokens: set[str] = set()
        self._csrf: set[str] = set()
        self._lock = threading.Lock()
        self._http: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def mount(self, service: str, handler: Service) -> None:
        """Serve ``handler`` under ``/sap/opu/odata/sap/<service>/``."""
        self._services[service] = handler

    @property
    def url(self) -> str:
        """The root URL (``http://127.0.0.1:<port>``): a system's ``base_url``."""
        if self._http is None:
            raise RuntimeError("the SAP server is not started")
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    def start(self) -> SapServer:
        handler = type("_Handler", (_Handler,), {"sap": self})
        self._http = _QuietServer(("127.0.0.1", 0), handler)
        self._http.daemon_threads = True
        self._thread = threading.Thread(
            target=self._http.serve_forever, name="sap-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None

    def __enter__(self) -> SapServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def revoke_tokens(self) -> None:
        """Every OAuth 2 token handed out so far stops working (the next call gets 401)."""
        with self._lock:
            self._tokens.clear()

    def system_settings(self, auth: str = "basic", **overrides: Any) -> dict[str, Any]:
        """The ``[plugins.erp_sap.connection.systems.<id>]`` table that reaches this server."""
        if auth == "basic":
            signon: dict[str, Any] = {"kind": "basic", "user": self.user, "password": self.password}
        else:
            signon = {
                "kind": "oauth2",
                "token_url": self.url + TOKEN_PATH,
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            }
        return {"base_url": self.url, "auth": signon, "max_retry_wait": 0.05, **overrides}

    # --- what the request handler asks ---

    def _answer(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> SapResponse | None:
        with self._lock:
            self.calls.append((method, target))
        parts = urlsplit(target)
        if parts.path == TOKEN_PATH and method == "POST":
            return self._token(headers, body)
        if not self._signed_on(headers):
            return SapResponse(401, b"", headers={"WWW-Authenticate": 'Basic realm="SAP"'})
        if not parts.path.startswith(SERVICE_ROOT):
            return odata_error(404, "NOT_FOUND", f"no resource {parts.path}")
        service, _, path = parts.path.removeprefix(SERVICE_ROOT).partition("/")
        handler = self._services.get(service)
        if handler is None:
            return odata_error(404, "/IWFND/MED/170", f"no service {service}")
        request = SapRequest(
            method=method,
            service=service,
            path=path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers=headers,
            body=body,
            base_url=self.url,
        )
        fault = self.faults.take(request)
        if fault is not False:
            return fault  # type: ignore[return-value]
        extra: dict[str, str] = {}
        if headers.get("x-csrf-token", "").lower() == "fetch":
            token = secrets.token_urlsafe(16)
            with self._lock:
                self._csrf.add(token)
            extra["X-CSRF-Token"] = token
        if method not in ("GET", "HEAD") and not self._csrf_valid(headers):
            return SapResponse(
                403,
                b"CSRF token validation failed",
                "text/plain",
                headers={"X-CSRF-Token": "Required"},
            )
        answer = handler.handle(request)
        if answer is None or not extra:
            return answer
        return SapResponse(
            answer.status, answer.body, answer.content_type, {**answer.headers, **extra}
        )

    def _csrf_valid(self, headers: Mapping[str, str]) -> bool:
        with self._lock:
            if self.faults.expire_csrf:
                self.faults.expire_csrf = False
                self._csrf.clear()
            return headers.get("x-csrf-token", "") in self._csrf

    def _signed_on(self, headers: Mapping[str, str]) -> bool:
        given = headers.get("authorization", "")
        if given.startswith("Bearer "):
            with self._lock:
                return given.removeprefix("Bearer ") in self._tokens
        return given == _basic(self.user, self.password)

    def _token(self, headers: Mapping[str, str], body: bytes) -> SapResponse:
        form = dict(parse_qsl(body.decode("latin-1")))
        if headers.get("authorization") != _basic(self.client_id, self.client_secret):
            return SapResponse(401, json.dumps({"error": "invalid_client"}).encode())
        if form.get("grant_type") != "client_credentials":
            return SapResponse(400, json.dumps({"error": "unsupported_grant_type"}).encode())
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens.add(token)
        answer = {"access_token": token, "token_type": "bearer", "expires_in": self.token_lifetime}
        return SapResponse(200, json.dumps(answer).encode())


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up (a killed sync, a dropped-connection fault) are expected here."""


class _Handler(BaseHTTPRequestHandler):
    sap: SapServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read ``SapServer.calls`` instead."""

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        answer = self.sap._answer(self.command, self.path, headers, body)
        if answer is None:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_MERGE = do_DELETE = do_HEAD = _serve
