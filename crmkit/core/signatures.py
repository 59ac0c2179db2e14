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
from collections.abc import Mapping, Sequence

from attrs import frozen

from crmkit.core.errors import ConflictError, PermissionDenied, ValidationError

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


MAX_ID_LENGTH = 200
"""The longest ``webhook-id`` a receiver remembers (the specification's ids are far shorter)."""


class SignatureRefused(PermissionDenied):
    """A signed request that cannot be shown to come from its sender; ``field`` names the header."""

    title = "Signature refused"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class SignatureMissing(SignatureRefused):
    """A header the signature scheme needs is absent or unreadable."""

    title = "Signature missing"


class SignatureMismatch(SignatureRefused):
    """No signature matches the body as received: a wrong secret, or a body changed after signing."""

    title = "Signature mismatch"


class StaleSignature(SignatureRefused):
    """The signed timestamp lies too far from the receiver's clock: a replay, or a clock astray."""

    title = "Stale signature"


class ReplayedRequest(ConflictError):
    """A signed request whose id has been received already; ``field`` names the header."""

    title = "Replayed request"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@frozen
class Signed:
    """What a verified Standard Webhooks request says about itself."""

    message_id: str
    timestamp: int
    """Unix seconds, as signed."""


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if not value:
        raise SignatureMissing(name, "the header is missing")
    return value


def check(
    keys: Sequence[bytes],
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE,
) -> Signed:
    """The id and time of ``body`` sent with ``headers`` when one of ``keys`` signed it.

    Several keys while the receiver rotates its secret; several signatures in the
    header while the sender does. Raises :class:`SignatureMissing`,
    :class:`StaleSignature` or :class:`SignatureMismatch`, each naming the header.
    ``headers`` must look names up in lower case (see :func:`verify`).
    """
    message_id = _header(headers, "webhook-id")
    stamp = _header(headers, "webhook-timestamp")
    given = _header(headers, "webhook-signature").split()
    if len(message_id) > MAX_ID_LENGTH:
        raise SignatureMissing("webhook-id", f"longer than {MAX_ID_LENGTH} characters")
    if not stamp.isascii() or not stamp.isdigit():
        raise SignatureMissing("webhook-timestamp", "expected Unix seconds")
    timestamp = int(stamp)
    drift = (time.time() if now is None else now) - timestamp
    if abs(drift) > tolerance:
        when = f"{int(drift)} s ago" if drift > 0 else f"{int(-drift)} s ahead"
        raise StaleSignature(
            "webhook-timestamp", f"signed {when}; at most {tolerance} s either way are accepted"
        )
    expected = [sign(key, message_id, timestamp, body) for key in keys]
    # Every pair is compared, in constant time each: how far a guess matched leaks nothing.
    matches = [hmac.compare_digest(e, g) for e in expected for g in given]
    if not any(matches):
        raise SignatureMismatch("webhook-signature", "no signature matches the body as received")
    return Signed(message_id, timestamp)


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
    try:
        check([secret_key(secret)], headers, body, now=now, tolerance=tolerance)
    except SignatureRefused:
        return False
    return True
