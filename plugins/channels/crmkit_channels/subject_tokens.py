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
    [token] = new_tokens(conn, 1)
    return token


def new_tokens(conn: Connection, count: int) -> list[str]:
    """``count`` different tokens no email carries yet, in a query or two for them all."""
    found: set[str] = set()
    for _ in range(_TRIES):
        wanted = count - len(found)
        if wanted == 0:
            break
        drawn = {secrets.token_hex(3) for _ in range(wanted)} - found
        taken = conn.execute(
            select(email.c.subject_token).where(email.c.subject_token.in_(drawn))
        ).scalars()
        found |= drawn - set(taken)
    if len(found) < count:
        # Only when the table holds millions of tokens; the unique index is the last word anyway.
        raise RuntimeError("no free subject token found; the token space is nearly full")
    return list(found)


def with_token(subject: str, token: str) -> str:
    """``subject`` ending in the token."""
    return f"{subject} [#{token}]"


def tokens_in(subject: str) -> list[str]:
    """The tokens ``subject`` carries, lower-cased, in the order they appear."""
    return [t.lower() for t in _IN_SUBJECT.findall(subject)]
