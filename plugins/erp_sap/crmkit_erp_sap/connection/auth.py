"""Signing on to SAP: basic authentication or an OAuth 2 client-credentials token."""

from __future__ import annotations

import time
from collections.abc import Generator

import httpx

from crmkit_erp_sap.connection.errors import SapError, SapUnavailable
from crmkit_erp_sap.connection.settings import AuthSettings, secret

# A token is renewed this many seconds before it expires, so no call carries a dead one.
_EXPIRY_MARGIN = 30.0


class Credentials:
    """What a call carries to sign on; an OAuth 2 token is fetched once and kept until expiry."""

    def __init__(self, settings: AuthSettings, http: httpx.Client) -> None:
        self._settings = settings
        self._http = http
        self._token: str | None = None
        self._expires_at = 0.0

    @property
    def renewable(self) -> bool:
        """Whether a 401 may be cured by fetching a new token."""
        return self._settings.kind == "oauth2"

    def forget(self) -> None:
        self._token = None

    def auth(self) -> httpx.Auth:
        if self._settings.kind == "basic":
            return httpx.BasicAuth(secret(self._settings.user), secret(self._settings.password))
        if self._token is None or time.monotonic() >= self._expires_at:
            self._fetch_token()
        return _Bearer(self._token or "")

    def _fetch_token(self) -> None:
        form = {"grant_type": "client_credentials"}
        if self._settings.scope:
            form["scope"] = self._settings.scope
        try:
            response = self._http.post(
                self._settings.token_url,
                data=form,
                auth=httpx.BasicAuth(
                    secret(self._settings.client_id), secret(self._settings.client_secret)
                ),
                headers={"Accept": "application/json"},
            )
        except httpx.TransportError as error:
            raise SapUnavailable(None, f"token endpoint: {type(error).__name__}") from error
        if response.status_code != 200:
            raise SapError(
                response.status_code,
                "TOKEN_REFUSED",
                f"the token endpoint answered {response.text[:200]}",
            )
        body = response.json()
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise SapError(
                response.status_code, "NO_TOKEN", "the token endpoint sent no access_token"
            )
        lifetime = float(body.get("expires_in") or 3600)
        self._token = token
        self._expires_at = time.monotonic() + max(0.0, lifetime - _EXPIRY_MARGIN)


class _Bearer(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request
