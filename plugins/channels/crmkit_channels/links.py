"""Unsubscribe links: a token signed with ``link_secret`` naming the party and the purpose.

The token needs no login and no stored state: whoever holds it may withdraw that
one consent, which is what the link in the email is for. It does not expire, so
that an old newsletter's link still works (RFC 8058 asks the link to keep working).
"""

from __future__ import annotations

import base64
import hmac
from urllib.parse import quote, urlsplit

from attrs import frozen

from crmkit import ConfigurationError, NotFound
from crmkit_channels.settings import ChannelsSettings

PATH = "/p/channels/unsubscribe"
MIN_SECRET = 32


@frozen
class Unsubscribe:
    """What a valid token stands for."""

    party_id: int
    purpose: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(settings: ChannelsSettings) -> bytes:
    if len(settings.link_secret) < MIN_SECRET:
        raise ConfigurationError(
            "plugins.channels.link_secret",
            f"set a secret of at least {MIN_SECRET} characters to sign unsubscribe links",
        )
    return settings.link_secret.encode()


def _signature(key: bytes, claim: bytes) -> bytes:
    return hmac.digest(key, b"channels.unsubscribe\x00" + claim, "sha256")


def make_token(settings: ChannelsSettings, party_id: int, purpose: str) -> str:
    claim = f"{party_id}:{purpose}".encode()
    return f"{_b64(claim)}.{_b64(_signature(_key(settings), claim))}"


def read_token(settings: ChannelsSettings, token: str) -> Unsubscribe:
    """What ``token`` stands for; NotFound for a token this CRM did not sign."""
    try:
        claim_part, signature_part = token.split(".")
        claim, signature = _unb64(claim_part), _unb64(signature_part)
        party, _, purpose = claim.decode().partition(":")
        party_id = int(party)
    except (ValueError, UnicodeDecodeError):
        raise NotFound("this unsubscribe link is not valid") from None
    if not hmac.compare_digest(signature, _signature(_key(settings), claim)) or not purpose:
        raise NotFound("this unsubscribe link is not valid")
    return Unsubscribe(party_id, purpose)


def is_public_address(url: str) -> bool:
    """Whether ``url`` may be the CRM's address in what it sends: https, or http on this machine's
    loopback (a CRM tried out where it runs, such as ``crmkit demo``), which no one else reaches."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


def unsubscribe_url(settings: ChannelsSettings, party_id: int, purpose: str) -> str:
    """The https link that withdraws ``party_id``'s consent to email for ``purpose``."""
    if not is_public_address(settings.public_url):
        raise ConfigurationError(
            "plugins.channels.public_url",
            "set the CRM's https:// address: it is where the unsubscribe links point",
        )
    token = make_token(settings, party_id, purpose)
    return f"{settings.public_url.rstrip('/')}{PATH}?token={quote(token)}"


def unsubscribe_headers(settings: ChannelsSettings, url: str) -> dict[str, str]:
    """``List-Unsubscribe`` (``url`` and, when configured, mailto) and RFC 8058's one-click header."""
    links = [f"<{url}>"]
    if settings.unsubscribe_mailto:
        token = url.partition("?token=")[2]
        links.append(f"<mailto:{settings.unsubscribe_mailto}?subject=unsubscribe%20{token}>")
    return {
        "List-Unsubscribe": ", ".join(links),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
