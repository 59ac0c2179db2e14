"""``[plugins.erp_sap.connection]``: the SAP systems crmkit talks to."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

import attrs
from attrs import field, frozen, validators

from crmkit import ConfigurationError


def secret(value: str) -> str:
    """A configured secret: ``env:NAME`` reads the environment variable ``NAME``."""
    if not value.startswith("env:"):
        return value
    name = value.removeprefix("env:")
    found = os.environ.get(name)
    if found is None:
        raise ConfigurationError(
            "plugins.erp_sap.connection", f"the environment variable {name} is not set"
        )
    return found


_HTTP = re.compile(r"^https?://[^\s]+$")


def _one_of(*allowed: str) -> Any:
    def check(_: Any, attribute: Any, value: Any) -> None:
        if value not in allowed:
            raise ValueError(f"{attribute.name!r} must be one of {', '.join(allowed)}: {value!r}")

    return check


def _http_url(_: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not _HTTP.match(value):
        raise ValueError(f"{attribute.name!r} must be an http(s) URL: {value!r}")


def _three_digits(_: Any, attribute: Any, value: Any) -> None:
    if value is not None and not (isinstance(value, str) and re.fullmatch(r"\d{3}", value)):
        raise ValueError(f"{attribute.name!r} must be three digits (the sap-client): {value!r}")


def _built(kind: type[Any], value: Mapping[str, Any]) -> Any:
    """``kind(**value)``, an unknown key or a wrong value said in one line naming the setting."""
    known = {a.alias for a in attrs.fields(kind)}
    unknown = sorted(str(k) for k in value if k not in known)
    if unknown:
        raise ValueError(f"unknown setting {unknown[0]!r} (known: {', '.join(sorted(known))})")
    for needed in attrs.fields(kind):
        if needed.default is attrs.NOTHING and needed.alias not in value:
            raise ValueError(f"{needed.alias!r} must be given")
    try:
        return kind(**value)
    except (TypeError, ValueError) as error:
        # attrs' validators put the message first and their internals after it.
        first = error.args[0] if error.args and isinstance(error.args[0], str) else str(error)
        raise ValueError(first) from None


@frozen
class AuthSettings:
    """How crmkit signs on to a system: ``kind = "basic"`` (user, password) or ``"oauth2"``
    client credentials (token_url, client_id, client_secret). Secrets may be ``env:NAME``."""

    kind: str = field(default="basic", validator=_one_of("basic", "oauth2"))
    user: str = ""
    password: str = field(default="", repr=False)
    token_url: str = ""
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    scope: str = ""

    def __attrs_post_init__(self) -> None:
        if self.kind == "oauth2":
            for name in ("token_url", "client_id", "client_secret"):
                if not getattr(self, name):
                    raise ValueError(f"auth: {name!r} is needed with kind 'oauth2'")
            if not _HTTP.match(self.token_url):
                raise ValueError(f"auth: 'token_url' must be an http(s) URL: {self.token_url!r}")


_WHOLE = validators.instance_of(int)
_NUMBER = validators.instance_of((int, float))


@frozen
class SystemSettings:
    """One SAP system (``[plugins.erp_sap.connection.systems.S4P]``)."""

    base_url: str = field(validator=_http_url)
    """The host root; services live under ``/sap/opu/odata/sap/<SERVICE>/``."""
    client: str | None = field(default=None, validator=_three_digits)
    """The sap-client (``sap-client`` query parameter), if the system needs one."""
    auth: AuthSettings = field(factory=AuthSettings, converter=lambda v: _auth(v))
    timeout: float = field(default=30.0, validator=[_NUMBER, validators.gt(0), validators.le(600)])
    """Seconds before one HTTP call gives up."""
    page_size: int = field(default=500, validator=[_WHOLE, validators.ge(1), validators.le(5000)])
    """Rows asked for per page (``$top``); the server may send fewer and a ``__next`` link."""
    max_retries: int = field(default=5, validator=[_WHOLE, validators.ge(0), validators.le(20)])
    """Retries of a call on 429, 503 or a dropped connection before ``SapUnavailable``."""
    max_retry_wait: float = field(
        default=60.0, validator=[_NUMBER, validators.ge(0), validators.le(3600)]
    )
    """The longest wait between two retries, whatever ``Retry-After`` asks for."""


def _auth(value: Any) -> AuthSettings:
    if isinstance(value, AuthSettings):
        return value
    if not isinstance(value, Mapping):
        raise ValueError(f"auth: expected a table, got {value!r}")
    try:
        found: AuthSettings = _built(AuthSettings, value)
    except ValueError as error:
        message = str(error)
        raise ValueError(message if message.startswith("auth: ") else f"auth: {message}") from None
    return found


def _systems(value: Any) -> dict[str, SystemSettings]:
    """The systems table; a system that cannot be used is named with what is wrong
    (``systems: S4P: 'page_size' must be >= 1: 0``)."""
    if not isinstance(value, Mapping):
        raise ValueError(f"systems: expected a table of systems, got {value!r}")
    systems: dict[str, SystemSettings] = {}
    for name, system in value.items():
        if isinstance(system, SystemSettings):
            systems[str(name)] = system
            continue
        if not isinstance(system, Mapping):
            raise ValueError(f"systems: {name}: expected a table, got {system!r}")
        try:
            systems[str(name)] = _built(SystemSettings, system)
        except ValueError as error:
            raise ValueError(f"systems: {name}: {error}") from None
    return systems


@frozen
class ConnectionSettings:
    """``[plugins.erp_sap.connection]``: the SAP systems by system id (e.g. ``S4P``)."""

    # Typed loosely for crmkit's settings reader: the converter builds (and checks) each system.
    systems: Mapping[str, Any] = field(factory=dict, converter=_systems)

    def system(self, name: str | None) -> tuple[str, SystemSettings]:
        """The system called ``name``, or the only one configured when ``name`` is None."""
        if not self.systems:
            raise ConfigurationError(
                "plugins.erp_sap.connection.systems", "no SAP system is configured"
            )
        if name is None:
            if len(self.systems) > 1:
                raise ConfigurationError(
                    "plugins.erp_sap.connection.systems",
                    f"several SAP systems are configured ({', '.join(sorted(self.systems))}): name one",
                )
            name = next(iter(self.systems))
        if name not in self.systems:
            raise ConfigurationError(
                "plugins.erp_sap.connection.systems", f"no SAP system {name!r} is configured"
            )
        found: SystemSettings = self.systems[name]
        return name, found
