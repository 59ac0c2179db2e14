"""``SapSession``: an HTTP client for one SAP system's OData V2 services.

It signs on (basic or OAuth 2 client credentials), fetches the CSRF token before writes,
follows server paging, and retries on 429/503 (honouring ``Retry-After``) and on dropped
connections before giving up with :class:`SapUnavailable`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from attrs import frozen

from crmkit import Crm
from crmkit_erp_sap.connection.auth import Credentials
from crmkit_erp_sap.connection.errors import PagingLoop, SapError, SapUnavailable
from crmkit_erp_sap.connection.settings import ConnectionSettings, SystemSettings

SERVICE_ROOT = "/sap/opu/odata/sap/"
_RETRY_STATUSES = frozenset({429, 503})
_BACKOFF_START = 0.5


@frozen
class Page:
    """One page of an entity set: its rows and the link to the next page (None at the end)."""

    rows: list[dict[str, Any]]
    next_url: str | None


class SapSession:
    """One SAP system's services; use it as a context manager (it closes its connections)."""

    def __init__(
        self,
        system_id: str,
        settings: SystemSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.system_id = system_id
        self.settings = settings
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=settings.base_url.rstrip("/"),
            timeout=settings.timeout,
            headers={"Accept": "application/json"},
            follow_redirects=False,
        )
        self._credentials = Credentials(settings.auth, self._http)
        self._csrf_token: dict[str, str] = {}

    @classmethod
    def for_app(cls, app: Crm, system: str | None = None) -> SapSession:
        """The session of ``system`` as configured in ``app`` (the only system when None);
        ``crmkit.ConfigurationError`` when none is configured."""
        connection: ConnectionSettings = app.settings_of["erp_sap"].connection
        name, settings = connection.system(system)
        return cls(name, settings)

    def __enter__(self) -> SapSession:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def service_url(self, service: str) -> str:
        """The path of a service's root, e.g. ``/sap/opu/odata/sap/API_BUSINESS_PARTNER/``."""
        return f"{SERVICE_ROOT}{service}/"

    def metadata(self, service: str) -> bytes:
        """The service's ``$metadata`` document (EDMX)."""
        return self._send("GET", self._url(service, "$metadata"), accept="application/xml").content

    def get_json(self, service: str, path: str, params: Mapping[str, str] | None = None) -> Any:
        """``GET`` of ``path`` in ``service`` as JSON: the ``d`` object of the answer."""
        response = self._send(
            "GET", self._url(service, path), params={**(params or {}), "$format": "json"}
        )
        return _payload(response)

    def iter_collection(
        self,
        service: str,
        entity_set: str,
        *,
        filter: str | None = None,
        expand: Sequence[str] = (),
        select: Sequence[str] = (),
        orderby: str | None = None,
    ) -> Iterator[Page]:
        """The rows of ``entity_set`` page by page.

        Asks for ``page_size`` rows at a time (``$top``/``$skip``) and follows the server's
        ``__next`` links (``$skiptoken``) where the server pages below that; a ``__next``
        that leads to a page already read raises :class:`PagingLoop`.
        """
        params: dict[str, str] = {"$format": "json", "$top": str(self.settings.page_size)}
        if filter:
            params["$filter"] = filter
        if expand:
            params["$expand"] = ",".join(expand)
        if select:
            params["$select"] = ",".join(select)
        if orderby:
            params["$orderby"] = orderby
        url = self._url(service, entity_set)
        skip, in_window = 0, 0
        seen: set[str] = set()
        response = self._send("GET", url, params=params)
        while True:
            rows, next_url = _collection(response)
            in_window += len(rows)
            if next_url is None and in_window >= self.settings.page_size and rows:
                skip += in_window
                in_window = 0
                yield Page(rows, f"{url}?$skip={skip}")
                response = self._send("GET", url, params={**params, "$skip": str(skip)})
                continue
            yield Page(rows, next_url)
            if next_url is None:
                return
            if next_url in seen:
                raise PagingLoop(next_url)
            seen.add(next_url)
            response = self._send("GET", _on_our_host(url, next_url))

    def post_json(self, service: str, path: str, json: Any) -> Any:
        """``POST`` of ``json`` to ``path`` (a create) with the CSRF token: the ``d`` object."""
        response = self._write("POST", self._url(service, path), json=json)
        return _payload(response) if response.content else None

    def post_batch(self, service: str, body: bytes, boundary: str) -> httpx.Response:
        """``POST`` of a ``$batch`` body (``multipart/mixed; boundary=...``) with the CSRF
        token; the raw answer (202 with a multipart body) for the caller to parse."""
        return self._write(
            "POST",
            self._url(service, "$batch"),
            content=body,
            headers={"Content-Type": f"multipart/mixed; boundary={boundary}"},
        )

    def _url(self, service: str, path: str) -> str:
        return self.service_url(service) + path.lstrip("/")

    def _write(self, method: str, url: str, **request: Any) -> httpx.Response:
        """A write with the CSRF token; once more with a fresh token when SAP says it expired."""
        service = url.removeprefix(SERVICE_ROOT).split("/", 1)[0]
        headers = request.pop("headers", {})
        token = self._token(service, fresh=False)
        response = self._send(
            method,
            url,
            headers={**headers, "X-CSRF-Token": token},
            write=True,
            csrf_may_expire=True,
            **request,
        )
        if response.status_code != 403:
            return response
        token = self._token(service, fresh=True)
        return self._send(
            method, url, headers={**headers, "X-CSRF-Token": token}, write=True, **request
        )

    def _token(self, service: str, *, fresh: bool) -> str:
        if fresh or service not in self._csrf_token:
            response = self._send(
                "GET", self.service_url(service), headers={"X-CSRF-Token": "Fetch"}
            )
            token = response.headers.get("x-csrf-token")
            if not token:
                raise SapError(response.status_code, "NO_CSRF_TOKEN", "SAP sent no X-CSRF-Token")
            self._csrf_token[service] = token
        return self._csrf_token[service]

    def _send(
        self,
        method: str,
        url: str,
        *,
        accept: str = "application/json",
        write: bool = False,
        csrf_may_expire: bool = False,
        **request: Any,
    ) -> httpx.Response:
        """One call with retries; a refused call raises :class:`SapError`."""
        request.setdefault("headers", {})
        request["headers"] = {"Accept": accept, **request["headers"]}
        if self.settings.client and "sap-client=" not in url:
            # httpx replaces a URL's query with ``params``, so a followed link gets it appended.
            if "?" in url:
                url = f"{url}&{urlencode({'sap-client': self.settings.client})}"
            else:
                request["params"] = {
                    "sap-client": self.settings.client,
                    **(request.get("params") or {}),
                }
        reauthenticated = False
        attempt = 0
        while True:
            waited: float | None = None
            try:
                response = self._http.request(method, url, auth=self._credentials.auth(), **request)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
                reason, status, maybe_applied = _describe(error), None, False
            except httpx.TransportError as error:
                # The request went out: a write may have been carried out, so it is not repeated.
                if write:
                    raise SapUnavailable(None, _describe(error), maybe_applied=True) from error
                reason, status, maybe_applied = _describe(error), None, False
            else:
                if (
                    response.status_code == 401
                    and not reauthenticated
                    and self._credentials.renewable
                ):
                    self._credentials.forget()
                    reauthenticated = True
                    continue
                if response.status_code not in _RETRY_STATUSES:
                    if response.status_code == 403 and csrf_may_expire and _csrf_required(response):
                        return response
                    if response.status_code >= 400:
                        raise _refusal(response)
                    return response
                reason, status, maybe_applied = response.reason_phrase, response.status_code, False
                waited = _retry_after(response)
            if attempt >= self.settings.max_retries:
                raise SapUnavailable(status, reason, maybe_applied=maybe_applied)
            delay = (
                waited if status is not None and waited is not None else _BACKOFF_START * 2**attempt
            )
            self._sleep(min(delay, self.settings.max_retry_wait))
            attempt += 1


def _on_our_host(current: str, link: str) -> str:
    """A ``__next`` link as a path and query on our base URL: SAP writes absolute links with
    its own host name, which need not be the one we reach it by; relative links are resolved
    against the collection's path."""
    parts = urlsplit(str(httpx.URL(current).join(link)))
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _describe(error: httpx.TransportError) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _csrf_required(response: httpx.Response) -> bool:
    return response.headers.get("x-csrf-token", "").lower() == "required"


def _retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (given as seconds or as an HTTP date), None when absent."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def _refusal(response: httpx.Response) -> SapError:
    """SAP's error answer (``{"error": {"code": ..., "message": {"value": ...}}}``) as an error."""
    code, message = "", response.reason_phrase
    try:
        error = response.json().get("error", {})
    except ValueError:
        error = {}
    if isinstance(error, dict):
        code = str(error.get("code", ""))
        found = error.get("message", {})
        message = str(found.get("value", message) if isinstance(found, dict) else found)
    return SapError(response.status_code, code, message)


def _payload(response: httpx.Response) -> Any:
    try:
        body = response.json()
    except ValueError:
        raise SapError(response.status_code, "NOT_JSON", "SAP's answer is not JSON") from None
    if not isinstance(body, dict) or "d" not in body:
        raise SapError(response.status_code, "NOT_ODATA", "SAP's answer has no 'd' object")
    return body["d"]


def _collection(response: httpx.Response) -> tuple[list[dict[str, Any]], str | None]:
    found = _payload(response)
    if isinstance(found, list):
        return found, None
    rows = found.get("results") if isinstance(found, dict) else None
    if not isinstance(rows, list):
        raise SapError(response.status_code, "NOT_A_COLLECTION", "SAP's answer has no 'results'")
    next_url = found.get("__next")
    return rows, next_url if isinstance(next_url, str) and next_url else None
