"""The HMAC signatures of senders that do not follow Standard Webhooks: GitHub and Meta, Twilio.

* ``X-Hub-Signature-256: sha256=<hex>`` (GitHub, Meta): lower-case hex of
  HMAC-SHA256 over the raw body, keyed with the app's secret.
* ``X-Twilio-Signature: <base64>``: HMAC-SHA1, keyed with the account's auth
  token, over the URL Twilio called followed by every POST parameter, sorted by
  name, as name and value with nothing between them. A JSON body is not in the
  signature; its SHA-256 is, as the ``bodySHA256`` query parameter of the URL.

Neither scheme signs a time or an id, so neither can tell a replay from the original.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from urllib.parse import parse_qsl, urlsplit

from crmkit.core.signatures import SignatureMismatch, SignatureMissing

HUB_HEADER = "x-hub-signature-256"
HUB_PREFIX = "sha256="
TWILIO_HEADER = "x-twilio-signature"
TWILIO_BODY_HASH = "bodySHA256"


def _matches(expected: Sequence[str], given: str) -> bool:
    # Every candidate is compared, in constant time each.
    return any([hmac.compare_digest(e.encode(), given.encode()) for e in expected])


def hub_signature(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value of ``body`` signed with ``secret``."""
    return HUB_PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def check_hub_signature(secrets: Sequence[str], given: str | None, body: bytes) -> None:
    """Refuse ``body`` unless ``given`` (the header's value) is its signature with one of ``secrets``."""
    if not given or not given.startswith(HUB_PREFIX):
        raise SignatureMissing(HUB_HEADER, f"expected {HUB_PREFIX}<hex>")
    # Hex digits are compared as written in lower case, as the senders write them.
    if not _matches([hub_signature(s, body) for s in secrets], given.lower()):
        raise SignatureMismatch(HUB_HEADER, "the signature does not match the body as received")


def twilio_signature(auth_token: str, url: str, params: Sequence[tuple[str, str]]) -> str:
    """The ``X-Twilio-Signature`` value of a request to ``url`` posting ``params``."""
    signed = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _form_params(body: bytes) -> list[tuple[str, str]]:
    try:
        return parse_qsl(body.decode(), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise SignatureMismatch(TWILIO_HEADER, "the form posted is not UTF-8 text") from None


def check_twilio_signature(
    auth_tokens: Sequence[str], given: str | None, url: str, body: bytes, *, is_form: bool
) -> None:
    """Refuse a request to ``url`` with ``body`` unless ``given`` is its signature with one of ``auth_tokens``.

    ``is_form``: the body is ``application/x-www-form-urlencoded``, whose
    parameters are signed; any other body must be named by the URL's ``bodySHA256``.
    """
    if not given:
        raise SignatureMissing(TWILIO_HEADER, "the header is missing")
    params: list[tuple[str, str]] = []
    if is_form:
        params = _form_params(body)
    elif body:
        query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
        named = query.get(TWILIO_BODY_HASH)
        if named is None:
            raise SignatureMissing(
                TWILIO_BODY_HASH, "a body that is no form must be named by its hash"
            )
        if not hmac.compare_digest(
            hashlib.sha256(body).hexdigest().encode(), named.lower().encode()
        ):
            raise SignatureMismatch(TWILIO_BODY_HASH, "the body is not the one that was signed")
    if not _matches([twilio_signature(t, url, params) for t in auth_tokens], given):
        raise SignatureMismatch(
            TWILIO_HEADER, "the signature does not match the request as received"
        )
