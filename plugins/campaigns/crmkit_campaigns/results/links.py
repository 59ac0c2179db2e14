"""The response link a campaign email carries: ``/p/campaigns/public/respond?t=<token>``.

A token is ``<member id>.<signature>``: HMAC-SHA-256 of the member id under a key
derived from the channels plugin's ``link_secret`` for responses alone, so it signs
nothing another link signs. A tampered token fails its signature before any query.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from typing import Any

from crmkit import ConfigurationError, NotFound

RESPOND_PATH = "/p/campaigns/public/respond"
MIN_SECRET = 32
SIGNATURE_CHARS = 32
_KEY_PURPOSE = b"crmkit-campaigns-responses-v1"
NOT_VALID = "this link is not valid"
TOKEN = re.compile(
    rf"(?P<member_id>[1-9][0-9]{{0,15}})\.(?P<signature>[0-9a-f]{{{SIGNATURE_CHARS}}})"
)
"""A token as :func:`member_token` writes it (``re.fullmatch``: no space, no line end)."""


def _key(app: Any) -> bytes:
    return _key_of(app.settings_of["channels"].link_secret)


@functools.lru_cache(maxsize=8)
def _key_of(secret: str) -> bytes:
    # Derived once per secret: a campaign signs a link for each of its members.
    if len(secret) < MIN_SECRET:
        raise ConfigurationError(
            "plugins.channels.link_secret",
            f"campaign response links are signed with it: set at least {MIN_SECRET} characters",
        )
    return hmac.new(secret.encode(), _KEY_PURPOSE, hashlib.sha256).digest()


def _signature(app: Any, member_id: int) -> str:
    # hmac.digest: the one-shot form, several times quicker than hmac.new for a short text.
    return hmac.digest(_key(app), str(member_id).encode(), "sha256").hex()[:SIGNATURE_CHARS]


def member_token(app: Any, member_id: int) -> str:
    """The signed token naming the campaign member ``member_id``."""
    return f"{member_id}.{_signature(app, member_id)}"


def read_member_token(app: Any, token: str) -> int:
    """The member id ``token`` signs; NotFound for any other text, read strictly: exactly
    what :func:`member_token` writes, no spaces, no leading zeros."""
    shape = TOKEN.fullmatch(token)
    if shape is None:
        raise NotFound(NOT_VALID)
    member_id = int(shape["member_id"])
    if not hmac.compare_digest(shape["signature"].encode(), _signature(app, member_id).encode()):
        raise NotFound(NOT_VALID)
    return member_id


def response_url(app: Any, member_id: int) -> str:
    """The absolute address of the member's response page, for a campaign message's variables.

    ``app`` is the Crm (``tx.app``); the address is under ``plugins.channels.public_url``.
    """
    public_url: str = app.settings_of["channels"].public_url
    if not public_url:
        raise ConfigurationError(
            "plugins.channels.public_url",
            "response links need the CRM's address as people reach it",
        )
    return f"{public_url.rstrip('/')}{RESPOND_PATH}?t={member_token(app, member_id)}"
