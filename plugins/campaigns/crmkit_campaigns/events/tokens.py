"""The signed tokens of the links a registrant gets: confirm, cancel, check-in (the QR code).

A token is ``<registration id>.<signature>``: HMAC-SHA-256 of the purpose and the id
under a key derived from the channels plugin's ``link_secret`` for this purpose
alone, so it signs nothing an unsubscribe link signs. Nothing is stored: a
tampered token fails its signature before any query. How long a link works is
decided from the registration's row (a confirm link expires, see the settings).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, Literal

from crmkit import ConfigurationError, NotFound

Purpose = Literal["confirm", "cancel", "checkin"]
MIN_SECRET = 32
_KEY_PURPOSE = b"crmkit-campaigns-events-v1"
SIGNATURE_CHARS = 32
NOT_VALID = "this link is not valid"


def _key(app: Any) -> bytes:
    secret: str = app.settings_of["channels"].link_secret
    if len(secret) < MIN_SECRET:
        raise ConfigurationError(
            "plugins.channels.link_secret",
            f"event registration links are signed with it: set at least {MIN_SECRET} characters",
        )
    return hmac.new(secret.encode(), _KEY_PURPOSE, hashlib.sha256).digest()


def _signature(app: Any, purpose: Purpose, registration_id: int) -> str:
    mac = hmac.new(_key(app), f"{purpose}:{registration_id}".encode(), hashlib.sha256)
    return mac.hexdigest()[:SIGNATURE_CHARS]


def make_token(app: Any, purpose: Purpose, registration_id: int) -> str:
    """The token of ``purpose`` for the registration."""
    return f"{registration_id}.{_signature(app, purpose, registration_id)}"


def read_token(app: Any, purpose: Purpose, token: str | None) -> int:
    """The registration id a token of ``purpose`` signs; NotFound for any other text."""
    head, dot, signature = (token or "").strip().partition(".")
    if not dot or not head.isascii() or not head.isdigit() or len(head) > 16:
        raise NotFound(NOT_VALID)
    registration_id = int(head)
    expected = _signature(app, purpose, registration_id)
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        raise NotFound(NOT_VALID)
    return registration_id
