"""Settings of the accounts part: ``[plugins.social.accounts]``.

Secrets are given literally or as ``env:NAME`` (read from the environment variable ``NAME``
at start). A missing variable or a malformed token key stops the CRM at start, naming the key.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from typing import Any

from attrs import field, frozen, validators

DEFAULT_GRAPH_URL = "https://graph.facebook.com/v21.0"
_HTTP = re.compile(r"^https?://[^\s/]+(/[^\s]*)?$")


def resolve_secret(value: Any, key: str = "secret") -> str:
    """A configured secret: ``env:NAME`` is the environment variable ``NAME``'s value.

    A refusal starts with ``key`` (the setting's name), which the kernel's message names in full.
    """
    if not isinstance(value, str):
        raise ValueError(f"{key}: expected text or 'env:NAME', got {type(value).__name__}")
    if not value.startswith("env:"):
        return value
    name = value.removeprefix("env:")
    if not name:
        raise ValueError(f"{key}: 'env:' names no environment variable")
    found = os.environ.get(name)
    if found is None:
        raise ValueError(f"{key}: the environment variable {name} is not set")
    return found


def _app_id(value: Any) -> str:
    return resolve_secret(value, "app_id")


def _app_secret(value: Any) -> str:
    return resolve_secret(value, "app_secret")


def _token_key(value: Any) -> str:
    return resolve_secret(value, "token_key")


def _fernet_key(_: Any, attribute: Any, value: str) -> None:
    if value == "":
        return  # not configured: pages cannot be connected until it is
    try:
        raw = base64.urlsafe_b64decode(value.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ValueError(
            f"{attribute.name!r} must be a Fernet key (32 bytes, url-safe base64, as"
            " `cryptography.fernet.Fernet.generate_key()` makes)"
        )


def _graph_url(_: Any, attribute: Any, value: str) -> None:
    if not _HTTP.match(value):
        raise ValueError(f"{attribute.name!r} must be an http(s) URL: {value!r}")


@frozen
class AccountsSettings:
    """How the accounts part behaves."""

    graph_url: str = field(default=DEFAULT_GRAPH_URL, validator=_graph_url)
    """The Graph API's base URL, with its version."""

    app_id: str = field(default="", converter=_app_id)
    """The Meta app's id (needed to exchange tokens)."""

    app_secret: str = field(default="", converter=_app_secret, repr=False)
    """The Meta app's App Secret (``env:NAME``): signs webhooks, exchanges tokens and proves calls."""

    token_key: str = field(default="", converter=_token_key, validator=_fernet_key, repr=False)
    """The Fernet key (``env:NAME``) that encrypts page access tokens at rest."""

    refresh_before_days: int = field(default=10, validator=[validators.ge(1), validators.le(59)])
    """Exchange a token this many days before it expires."""

    timeout_seconds: float = field(default=10.0, validator=[validators.gt(0), validators.le(120)])
    """How long one Graph call may take."""

    usage_limit_percent: int = field(default=90, validator=[validators.ge(10), validators.le(100)])
    """Stop calling (transient error) once Meta reports this share of a rate limit used."""
