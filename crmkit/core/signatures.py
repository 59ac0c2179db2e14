"""Standard Webhooks signatures: HMAC-SHA256 over ``id.timestamp.body`` with a ``whsec_`` secret.

A signed request carries ``webhook-id``, ``webhook-timestamp`` (Unix seconds) and
``webhook-signature`` (``v1,<base64 signature>``, several separated by spaces while
a secret is rotated), as the Standard Webhooks specification defines them, so that
a receiver can check a delivery with any of that specification's libraries.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping

from crmkit.core.errors import ValidationError

PREFIX = "whsec_"
KEY_BYTES = 32
"""The length of a generated key; a given one may be 24 to 64 bytes."""
TOLERANCE = 300
"""Seconds a signed timestamp may lie from the receiver's clock (the specification's five minutes)."""


def new_secret() -> str:
    """A fresh random secret in the ``whsec_<base64 key>`` form."""
    return PREFIX + base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def secret_key(secret: str, field: str = "secret") -> bytes:
    """The key of a ``whsec_`` secret; :class:`ValidationError` naming ``field`` for any other text."""
    if not isinstance(secret, str) or not secret.startswith(PREFIX):
        raise ValidationError(field, f"expected {PREFIX} followed by a base64 key")
    try:
        key = base64.b64decode(secret[len(PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(field, f"expected {PREFIX} followed by a base64 key") from None
    if not 24 <= len(key) <= 64:
        raise ValidationError(field, "expected a key of 24 to 64 bytes")
    return key


def sign(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value of ``body`` sent as ``message_id`` at ``timestamp``."""
    signed = b"%s.%d.%s" % (message_id.encode(), timestamp, body)
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(key: bytes, message_id: str, body: bytes, timestamp: int) -> dict[str, str]:
    """The three headers of a signed delivery."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(key, message_id, timestamp, body),
    }


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE,
) -> bool:
    """Whether ``body`` with ``headers`` was signed with ``secret`` within ``tolerance`` seconds.

    ``headers`` must look names up in lower case (a dict of lower-cased names, or
    any case-insensitive mapping such as Starlette's or httpx's headers).
    """
    message_id = headers.get("webhook-id")
    stamp = headers.get("webhook-timestamp")
    given = headers.get("webhook-signature")
    if not message_id or not stamp or not given or not stamp.isdigit():
        return False
    timestamp = int(stamp)
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = sign(secret_key(secret), message_id, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in given.split())
