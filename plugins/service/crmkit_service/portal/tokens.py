"""Random tokens, their stored hashes, and the portal's signing key.

A sign-in link and a session each carry 256 random bits; the database keeps
their SHA-256 only. The session cookie is also signed (HMAC-SHA-256) so that a
forged or altered cookie is refused before any query. The key is derived from
the channels plugin's ``link_secret``, for a purpose of its own: one secret to
keep, and a key that signs nothing the unsubscribe links sign.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from crmkit import ConfigurationError

TOKEN_BYTES = 32
MIN_SECRET = 32
_PURPOSE = b"crmkit-service-portal-v1"


def new_token() -> str:
    """A fresh random token, URL-safe."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What the database stores of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def portal_key(app: Any) -> bytes:
    """The portal's signing key, from ``plugins.channels.link_secret``."""
    secret: str = app.settings_of["channels"].link_secret
    if len(secret) < MIN_SECRET:
        raise ConfigurationError(
            "plugins.channels.link_secret",
            f"the portal signs its sessions with it: set at least {MIN_SECRET} characters",
        )
    return hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()


def keyed(key: bytes, text: str) -> str:
    """HMAC-SHA-256 of ``text`` under ``key``, in hexadecimal."""
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def signed(key: bytes, token: str) -> str:
    """``token`` with its signature, for a cookie."""
    return f"{token}.{keyed(key, token)}"


def unsigned(key: bytes, value: str) -> str | None:
    """The token of a cookie whose signature holds, else None."""
    token, dot, signature = value.rpartition(".")
    if not dot or not token:
        return None
    return token if hmac.compare_digest(signature, keyed(key, token)) else None
