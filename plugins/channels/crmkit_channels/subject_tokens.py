"""Subject tokens: a short ``[#ab12cd]`` in an outbound subject that a reply keeps.

Some mail clients drop In-Reply-To and References when one answers; almost none
drop the subject. The token is random (not the email's id, which would tell the
recipient how much mail the CRM sends) and unique among the emails.
"""

from __future__ import annotations

import re
import secrets

from sqlalchemy import Connection, select

from crmkit_channels.tables import email

_IN_SUBJECT = re.compile(r"\[#([0-9a-f]{6})\]", re.IGNORECASE)
_TRIES = 5


def new_token(conn: Connection) -> str:
    """A token no email carries yet (six hex digits: 16 million of them)."""
    for _ in range(_TRIES):
        token = secrets.token_hex(3)
        taken = conn.execute(select(email.c.id).where(email.c.subject_token == token)).first()
        if taken is None:
            return token
    # Only when the table holds millions of tokens; the unique index is the last word anyway.
    raise RuntimeError("no free subject token found; the token space is nearly full")


def with_token(subject: str, token: str) -> str:
    """``subject`` ending in the token."""
    return f"{subject} [#{token}]"


def tokens_in(subject: str) -> list[str]:
    """The tokens ``subject`` carries, lower-cased, in the order they appear."""
    return [t.lower() for t in _IN_SUBJECT.findall(subject)]
