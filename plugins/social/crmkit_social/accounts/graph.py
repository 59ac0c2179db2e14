"""The Graph API client of one connected page: its token decrypted and sent inside, errors
sorted into transient (retry later) and permanent, Meta's rate-limit headers obeyed.

Tokens go in the ``Authorization`` header (with ``appsecret_proof`` when the app secret is
known), never in a URL, a log line or an error message.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from typing import Any

import httpx
from sqlalchemy import select, update

from crmkit import Crm, utcnow
from crmkit_social.accounts.model import DEMO_TOKEN_PREFIX, Account, decrypt_token, settings_of
from crmkit_social.accounts.tables import account_table

log = logging.getLogger(__name__)


class _NoQueryInRequestLogs(logging.Filter):
    """httpx logs each request's URL: its query (a token exchange's secrets) is cut off."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, httpx.URL) for a in record.args):
            record.args = tuple(
                a.copy_with(query=None) if isinstance(a, httpx.URL) else a for a in record.args
            )
        return True


logging.getLogger("httpx").addFilter(_NoQueryInRequestLogs())

RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, *range(80001, 80015)})
"""Meta's error codes of a rate limit reached: try again later."""
TRANSIENT_CODES = frozenset({1, 2})
"""Meta's "unknown error" and "service temporarily unavailable"."""
DEAD_TOKEN_CODES = frozenset({190, 102})
"""The token is invalid, expired or revoked: the page must be connected again."""
DEAD_TOKEN_RETRY = 900.0
"""Outbound calls of a page whose token is dead wait this long before they are tried again."""


class GraphError(Exception):
    """A Graph call that did not succeed.

    ``transient``: try again later (5xx, a dropped connection, a timeout, 429, a rate limit,
    a dead token waiting for an admin); ``retry_after``: seconds to wait, when known.
    """

    def __init__(
        self,
        status: int,
        code: int | None,
        message: str,
        transient: bool,
        retry_after: float | None = None,
        subcode: int | None = None,
    ) -> None:
        super().__init__(
            f"Graph {status}" + (f" code {code}" if code is not None else "") + f": {message}"
        )
        self.status = status
        self.code = code
        self.message = message
        self.transient = transient
        self.retry_after = retry_after
        self.subcode = subcode


class _Usage:
    """What Meta last said of the share of its rate limits used, per app and per page."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._blocked_until: dict[str, float] = {}

    def block(self, key: str, seconds: float) -> None:
        with self._lock:
            until = time.monotonic() + seconds
            self._blocked_until[key] = max(until, self._blocked_until.get(key, 0.0))

    def wait_left(self, key: str) -> float:
        with self._lock:
            until = self._blocked_until.get(key)
            if until is None:
                return 0.0
            left = until - time.monotonic()
            if left <= 0:
                del self._blocked_until[key]
                return 0.0
            return left

    def clear(self) -> None:
        with self._lock:
            self._blocked_until.clear()


USAGE = _Usage()


def _percent(values: dict[str, Any]) -> float:
    found = [
        float(values[name])
        for name in ("call_count", "total_cputime", "total_time", "acc_id_util_pct")
        if isinstance(values.get(name), int | float)
    ]
    return max(found, default=0.0)


def usage_of(headers: httpx.Headers) -> tuple[float, float | None]:
    """The highest share of a limit used (percent) and Meta's estimate of the wait (seconds)."""
    highest, wait = 0.0, None
    raw = headers.get("x-app-usage")
    if raw:
        try:
            app_usage = json.loads(raw)
            if isinstance(app_usage, dict):
                highest = max(highest, _percent(app_usage))
        except ValueError:
            pass
    raw = headers.get("x-business-use-case-usage")
    if raw:
        try:
            business = json.loads(raw)
        except ValueError:
            business = None
        if isinstance(business, dict):
            for entries in business.values():
                for entry in entries if isinstance(entries, list) else []:
                    if not isinstance(entry, dict):
                        continue
                    highest = max(highest, _percent(entry))
                    minutes = entry.get("estimated_time_to_regain_access")
                    if isinstance(minutes, int | float) and minutes > 0:
                        wait = max(wait or 0.0, float(minutes) * 60)
    return highest, wait


def _retry_after(headers: httpx.Headers) -> float | None:
    raw = headers.get("retry-after")
    if raw:
        try:
            return max(0.0, float(raw))
        except ValueError:
            return None
    return usage_of(headers)[1]


def scrub(text: str, *secrets: str) -> str:
    """``text`` with each secret replaced: a message from elsewhere never carries a token."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


class _Clients:
    """One pooled httpx client per Graph base URL (and timeout, and transport in tests),
    shared by the process's threads: making one loads the TLS certificates, which costs more
    than a call. Closed at shutdown (the plugin's ``shutdown`` hook); a call after that makes
    a new one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, float, httpx.BaseTransport | None], httpx.Client] = {}

    def get(
        self, base_url: str, timeout: float, transport: httpx.BaseTransport | None
    ) -> httpx.Client:
        # The transport itself is part of the key (not its id, which a new one may reuse).
        key = (base_url, timeout, transport)
        with self._lock:
            found = self._clients.get(key)
            if found is None or found.is_closed:
                found = httpx.Client(timeout=timeout, transport=transport)
                self._clients[key] = found
            return found

    def __len__(self) -> int:
        with self._lock:
            return len(self._clients)

    def close(self) -> None:
        """Close every client (their pooled connections); the next call makes a new one."""
        with self._lock:
            clients = list(self._clients.values())
            self._clients.clear()
        for client in clients:
            try:
                client.close()
            except Exception:  # one client failing to close keeps the others closing
                log.exception("social: closing a Graph client failed")


CLIENTS = _Clients()


class GraphClient:
    """Graph calls on behalf of one page. ``get``/``post``/``delete`` answer the JSON object."""

    def __init__(
        self,
        app: Crm,
        account: Account,
        token: str,
        *,
        transport: httpx.BaseTransport | None = None,
        cipher: str | None = None,
    ) -> None:
        settings = settings_of(app)
        self._cipher = cipher
        self.app = app
        self.account = account
        self.base_url = settings.graph_url.rstrip("/")
        self._token = token
        self._app_secret = settings.app_secret
        self._limit = float(settings.usage_limit_percent)
        self._timeout = settings.timeout_seconds
        self._transport = transport
        self.demo = token.startswith(DEMO_TOKEN_PREFIX)

    def __repr__(self) -> str:  # never the token
        return f"GraphClient(page_id={self.account.page_id!r}, base_url={self.base_url!r})"

    # -- the three verbs --

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.request("GET", path, params=params)

    def post(self, path: str, data: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", path, data=data)

    def delete(self, path: str) -> dict[str, Any]:
        return self.request("DELETE", path)

    # -- the call --

    def _usage_keys(self) -> tuple[str, str]:
        return f"app:{self.base_url}", f"page:{self.base_url}:{self.account.page_id}"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        token: bool = True,
    ) -> dict[str, Any]:
        if self.demo:
            raise GraphError(0, None, "a demo page never calls Graph", transient=False)
        for key in self._usage_keys():
            left = USAGE.wait_left(key)
            if left > 0:
                raise GraphError(
                    429, 4, "rate limit nearly reached: waiting before the next call", True, left
                )
        headers = {"Accept": "application/json"}
        query = dict(params or {})
        if token:
            headers["Authorization"] = f"Bearer {self._token}"
            if self._app_secret:
                query["appsecret_proof"] = hmac.new(
                    self._app_secret.encode(), self._token.encode(), hashlib.sha256
                ).hexdigest()
        url = self.base_url + "/" + path.lstrip("/")
        try:
            response = self._send(method, url, query, data, headers)
        except httpx.TimeoutException:
            raise GraphError(0, None, f"{method} {path}: timed out", True) from None
        except httpx.HTTPError as error:
            kind = type(error).__name__
            raise GraphError(
                0, None, f"{method} {path}: connection failed ({kind})", True
            ) from None
        return self._answer(method, path, response)

    def _send(
        self,
        method: str,
        url: str,
        query: dict[str, Any],
        data: dict[str, Any] | None,
        headers: dict[str, str],
    ) -> httpx.Response:
        for _ in range(2):
            client = CLIENTS.get(self.base_url, self._timeout, self._transport)
            try:
                return client.request(
                    method,
                    url,
                    params=query or None,
                    json=data if data is not None else None,
                    headers=headers,
                )
            except RuntimeError:
                if not client.is_closed:
                    raise
                # Closed by a shutdown meanwhile (before the request went out): a new one.
        raise GraphError(0, None, f"{method} {url}: the Graph client is shut down", True)

    def _answer(self, method: str, path: str, response: httpx.Response) -> dict[str, Any]:
        highest, wait = usage_of(response.headers)
        if highest >= self._limit:
            pause = wait if wait is not None else 60.0
            app_key, page_key = self._usage_keys()
            USAGE.block(
                page_key if response.headers.get("x-business-use-case-usage") else app_key, pause
            )
            log.warning(
                "Graph usage at %.0f%% for page %s: pausing %.0fs",
                highest,
                self.account.page_id,
                pause,
            )
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code < 400:
            if isinstance(body, dict):
                return body
            if isinstance(body, bool):
                return {"success": body}
            raise GraphError(
                response.status_code,
                None,
                f"{method} {path}: the answer is not a JSON object",
                True,
            )
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        code = error.get("code") if isinstance(error.get("code"), int) else None
        subcode = (
            error.get("error_subcode") if isinstance(error.get("error_subcode"), int) else None
        )
        message = str(error.get("message") or response.reason_phrase or "error")[:300]
        message = scrub(message, self._token, self._app_secret)
        status = response.status_code
        retry_after = _retry_after(response.headers)
        if code in DEAD_TOKEN_CODES or (status == 401 and code is None):
            if self.account.id:
                DEAD_MARKS.add(self.app, self.account.id, self._cipher, message)
            raise GraphError(status, code, message, True, DEAD_TOKEN_RETRY, subcode)
        transient = (
            status >= 500
            or status == 429
            or code in RATE_LIMIT_CODES
            or code in TRANSIENT_CODES
            or bool(error.get("is_transient"))
        )
        if code in RATE_LIMIT_CODES or status == 429:
            pause = retry_after if retry_after is not None else 60.0
            USAGE.block(self._usage_keys()[1], pause)
            retry_after = pause
        return_error = GraphError(
            status, code, f"{method} {path}: {message}", transient, retry_after, subcode
        )
        raise return_error


class _DeadMarks:
    """Tokens Graph refused, marked dead in the database by a thread of their own.

    A Graph call is often made inside a transaction (a webhook handler's): a second
    transaction there would wait for the first one's lock on SQLite. So the mark is written
    once the caller's transaction is over, and until then ``graph_client`` already knows.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[tuple[int, int], str] = {}
        self._threads: list[threading.Thread] = []

    def add(self, app: Crm, account_id: int, cipher: str | None, problem: str) -> None:
        with self._lock:
            self._pending[(id(app), account_id)] = problem
            thread = threading.Thread(
                target=self._write, args=(app, account_id, cipher, problem), daemon=True
            )
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def pending(self, app: Crm, account_id: int) -> str | None:
        with self._lock:
            return self._pending.get((id(app), account_id))

    def _write(self, app: Crm, account_id: int, cipher: str | None, problem: str) -> None:
        for attempt in range(5):
            try:
                mark_token_dead(app, account_id, problem, cipher=cipher)
                break
            except Exception:  # the database busy or gone: try again, then give up (logged)
                if attempt == 4:
                    log.exception("social: could not mark the token of account %s dead", account_id)
                time.sleep(0.5 * (attempt + 1))
        with self._lock:
            if self._pending.get((id(app), account_id)) == problem:
                del self._pending[(id(app), account_id)]

    def wait(self, timeout: float = 60.0) -> None:
        """Wait until every mark is written (tests; a worker shutting down)."""
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)


DEAD_MARKS = _DeadMarks()


def mark_token_dead(app: Crm, account_id: int, problem: str, *, cipher: str | None = None) -> None:
    """Mark the page's token dead (visible on the accounts page): its calls wait for a reconnect.

    With ``cipher``, only while that token is still the stored one (a page connected again
    meanwhile keeps its new token).
    """
    now = utcnow()
    condition = [account_table.c.id == account_id, account_table.c.token_state != "demo"]
    if cipher is not None:
        condition.append(account_table.c.token_cipher == cipher)
    with app.transaction() as tx:
        tx.conn.execute(
            update(account_table)
            .where(*condition)
            .values(
                token_state="dead",
                token_problem=problem[:500],
                token_checked_at=now,
                updated_at=now,
                version=account_table.c.version + 1,
            )
        )
    log.warning("social: the access token of account %s is dead: %s", account_id, problem)


def graph_client(
    app: Crm, account: Account, *, transport: httpx.BaseTransport | None = None
) -> GraphClient:
    """The Graph client of this page, its stored token decrypted.

    A page whose token is dead gets a transient ``GraphError`` (code 190) at once: its
    outbound work waits until an admin connects the page again.
    """
    # Asked before the row is read: a mark is forgotten here only once it is committed, so
    # one of the two always knows (read after, the row could miss it and the mark be gone).
    problem = DEAD_MARKS.pending(app, account.id)
    with app.read() as conn:
        row = conn.execute(
            select(
                account_table.c.token_cipher,
                account_table.c.token_state,
                account_table.c.token_problem,
            ).where(account_table.c.id == account.id)
        ).first()
    if row is None:
        raise GraphError(0, None, f"account {account.id} is not connected", transient=False)
    if row.token_state == "demo":
        raise GraphError(0, None, "a demo page never calls Graph", transient=False)
    if row.token_state == "dead" or problem is not None:
        raise GraphError(
            401,
            190,
            f"the access token of page {account.page_id} is dead: connect the page again",
            True,
            DEAD_TOKEN_RETRY,
        )
    token = decrypt_token(app, row.token_cipher)
    return GraphClient(app, account, token, transport=transport, cipher=row.token_cipher)
