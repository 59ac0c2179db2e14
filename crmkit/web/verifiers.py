"""How a public plugin route knows its sender: the signature schemes a ``verifier`` checks.

Each verifier is given where its secrets come from, a function of the CRM (so
that they can live in the plugin's settings), and may return several of them
while a secret is rotated: a request signed with any of them passes. All
compare in constant time, over the body's bytes exactly as they arrived. Each
names in ``parameters`` the headers (or query parameters) it reads, and says in
``signs_ids`` and ``has_secret`` whether a replay (409) or a missing secret
(503) can be refused, for the OpenAPI document.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar, Protocol

from attrs import frozen
from starlette.requests import Request

from crmkit.core.errors import ConfigurationError, ValidationError
from crmkit.core.hmac_signatures import (
    HUB_HEADER,
    TWILIO_HEADER,
    check_hub_signature,
    check_twilio_signature,
)
from crmkit.core.signatures import SignatureMismatch, SignatureMissing, Signed, check, secret_key
from crmkit.web.openapi import Param

if TYPE_CHECKING:
    from crmkit.app import Crm

Secrets = Callable[["Crm"], str | Sequence[str]]
"""Where a verifier's secrets come from: one, or several while it is rotated."""
FORM_TYPE = "application/x-www-form-urlencoded"


def _secrets(secret: Secrets, crm: Crm, scheme: str) -> tuple[str, ...]:
    given = secret(crm)
    found = (given,) if isinstance(given, str) else tuple(given)
    if not found or not all(isinstance(s, str) and s for s in found):
        # The operator's mistake, not the sender's: a 503 that is logged, not a refusal.
        # The message shows no value: one of them may be a secret after all.
        raise ConfigurationError(scheme, "the secret function returned no secret, or an empty one")
    return found


def _header(name: str, description: str) -> Param:
    return Param(name, str, description, required=True, location="header")


@frozen
class StandardWebhooks:
    """Standard Webhooks: ``webhook-id``, ``webhook-timestamp``, ``webhook-signature`` (``v1,<base64>``).

    ``secret`` returns ``whsec_<base64 key>`` secrets. The only scheme that signs a
    time and an id: a request signed longer ago than ``signature_tolerance``, or
    one whose id was taken already, is refused.
    """

    secret: Secrets
    signs_ids: ClassVar[bool] = True
    has_secret: ClassVar[bool] = True
    parameters: ClassVar[tuple[Param, ...]] = (
        _header("webhook-id", "The message's id; a replay of it is refused"),
        _header("webhook-timestamp", "When it was signed, in Unix seconds"),
        _header("webhook-signature", "v1,<base64 HMAC-SHA256>; several separated by spaces"),
    )

    def verify(self, crm: Crm, request: Request, body: bytes, now: float) -> Signed | None:
        try:
            keys = [secret_key(s) for s in _secrets(self.secret, crm, "StandardWebhooks")]
        except ValidationError as exc:
            raise ConfigurationError("StandardWebhooks", exc.reason) from None
        tolerance = crm.settings.signature_tolerance
        return check(keys, request.headers, body, now=now, tolerance=tolerance)


@frozen
class HubSignature:
    """``X-Hub-Signature-256: sha256=<hex>`` of GitHub and Meta: HMAC-SHA256 of the body.

    ``secret`` returns the app's secret (Meta's App Secret, a GitHub webhook's
    secret). The scheme signs neither a time nor an id, so a replay cannot be told
    from the original: the handler deduplicates by the ids of the payload.
    """

    secret: Secrets
    signs_ids: ClassVar[bool] = False
    has_secret: ClassVar[bool] = True
    parameters: ClassVar[tuple[Param, ...]] = (
        _header("X-Hub-Signature-256", "sha256=<hex HMAC-SHA256 of the body>"),
    )

    def verify(self, crm: Crm, request: Request, body: bytes, now: float) -> Signed | None:
        secrets = _secrets(self.secret, crm, "HubSignature")
        check_hub_signature(secrets, request.headers.get(HUB_HEADER), body)
        return None


@frozen
class HubChallenge:
    """Meta's handshake when a callback URL is subscribed: ``GET ?hub.mode=subscribe&hub.challenge=…``.

    ``verify_token`` returns the token entered with the callback URL in the app's
    settings at Meta; the request must carry it as ``hub.verify_token``. The
    handler answers with ``hub.challenge`` as the whole body.
    """

    verify_token: Secrets
    signs_ids: ClassVar[bool] = False
    has_secret: ClassVar[bool] = True
    parameters: ClassVar[tuple[Param, ...]] = (
        Param("hub.mode", str, "subscribe", required=True),
        Param("hub.challenge", str, "What the answer echoes", required=True),
        Param("hub.verify_token", str, "The token entered with the callback URL", required=True),
    )

    def verify(self, crm: Crm, request: Request, body: bytes, now: float) -> Signed | None:
        tokens = _secrets(self.verify_token, crm, "HubChallenge")
        params = request.query_params
        if params.get("hub.mode") != "subscribe":
            raise SignatureMissing("hub.mode", "expected subscribe")
        if not params.get("hub.challenge"):
            raise SignatureMissing("hub.challenge", "the parameter is missing")
        given = params.get("hub.verify_token", "").encode()
        # Every token is compared, in constant time each.
        if not any([hmac.compare_digest(t.encode(), given) for t in tokens]):
            raise SignatureMismatch("hub.verify_token", "not the token this CRM was given")
        return None


@frozen
class TwilioSignature:
    """``X-Twilio-Signature``: HMAC-SHA1 of the URL Twilio called and the parameters it posted.

    ``auth_token`` returns the account's auth token. Twilio signs the URL it called,
    so the URL this server sees must be that one: behind a reverse proxy, name it in
    ``trusted_proxies`` and have it pass on the ``Host`` header. Neither a time nor an
    id is signed: the handler deduplicates by ``MessageSid`` or ``CallSid``.
    """

    auth_token: Secrets
    signs_ids: ClassVar[bool] = False
    has_secret: ClassVar[bool] = True
    parameters: ClassVar[tuple[Param, ...]] = (
        _header(
            "X-Twilio-Signature", "Base64 HMAC-SHA1 of the URL called and the parameters posted"
        ),
    )

    def verify(self, crm: Crm, request: Request, body: bytes, now: float) -> Signed | None:
        tokens = _secrets(self.auth_token, crm, "TwilioSignature")
        is_form = request.headers.get("content-type", "").lower().startswith(FORM_TYPE)
        given = request.headers.get(TWILIO_HEADER)
        check_twilio_signature(tokens, given, str(request.url), body, is_form=is_form)
        return None


class Verifier(Protocol):
    """What a public route asks of its verifier; the kernel's four schemes above are verifiers,
    and a plugin may bring its own (a token in a link it sent, a scheme of its sender).

    A verifier may name the headers or query parameters it reads in ``parameters``
    (a tuple of :class:`~crmkit.web.openapi.Param`, listed as required), and set
    ``signs_ids`` (it returns a :class:`~crmkit.core.signatures.Signed`, so a replay is
    refused with 409) and ``has_secret`` (it raises ConfigurationError, a 503, while
    its secret is not configured), for the OpenAPI document; both are False if absent.
    A verifier that checks no signature (its handler checks a token of its own) sets
    ``checks_signature = False``: the document then promises no 403 for a bad signature.
    """

    def verify(self, crm: Crm, request: Request, body: bytes, now: float) -> Signed | None:
        """Return what the request signs about itself (Standard Webhooks: its id and time, so
        that a replay is refused), or None when the scheme signs neither; raise
        :class:`~crmkit.core.signatures.SignatureRefused` (or a subclass naming the header)
        to refuse it. ``body`` is the raw body, ``now`` Unix seconds."""
        ...
