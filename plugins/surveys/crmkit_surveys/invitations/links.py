"""Personal links: the random token an invitation's link carries, and the address it makes.

The token is 32 random bytes (``secrets.token_urlsafe``): it cannot be guessed, and only
its SHA-256 is stored, so a copy of the database yields no working link. A link belongs to
one invitation, and the answering part refuses a second answer through it.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from sqlalchemy import Connection, select

from crmkit import ConfigurationError
from crmkit_surveys.invitations.model import Invitation
from crmkit_surveys.invitations.tables import invitation

ANSWER_PATH = "/p/surveys/a"
OPEN_PATH = "/p/surveys/o"
MAX_TOKEN = 100
"""Longer than any token made here: a longer one is refused before it is hashed."""


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The hex SHA-256 of ``token``, as ``surveys_invitation.token_hash`` holds it."""
    return hashlib.sha256(token.encode()).hexdigest()


def public_base(app: Any) -> str:
    """The CRM's address as recipients reach it (``plugins.channels.public_url``)."""
    public_url: str = app.settings_of["channels"].public_url
    if not public_url:
        raise ConfigurationError(
            "plugins.channels.public_url",
            "survey links need the CRM's address as recipients reach it",
        )
    return public_url.rstrip("/")


def answer_url(app: Any, token: str) -> str:
    """The absolute address of the answer page of the invitation ``token`` opens."""
    return f"{public_base(app)}{ANSWER_PATH}/{token}"


def open_url(app: Any, token: str) -> str:
    """The absolute address of a survey's open (anonymous) link."""
    return f"{public_base(app)}{OPEN_PATH}/{token}"


def invitation_for_token(conn: Connection, token: str) -> Invitation | None:
    """The invitation whose link carries ``token``; None for a token no invitation has."""
    if not token or len(token) > MAX_TOKEN:
        return None
    row = conn.execute(
        select(invitation).where(invitation.c.token_hash == token_hash(token))
    ).first()
    return None if row is None else Invitation.from_row(row)
