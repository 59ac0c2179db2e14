"""Portal sessions: started by a followed link, carried by a signed cookie, ended by signing out.

They are separate from staff sessions: another cookie, another table, and a
portal session can only ever act for its one party.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from attrs import frozen
from sqlalchemy import Connection, select, update

from crmkit import Actor, Transaction
from crmkit_service.portal.tables import portal_session
from crmkit_service.portal.tokens import keyed, new_token, signed, token_hash, unsigned

COOKIE = "crmkit_portal"
COOKIE_PATH = "/p/service/portal"


@frozen
class PortalSession:
    """A signed-in customer: the party they act for, and the CSRF token of their forms."""

    id: int
    party_id: int
    csrf_token: str

    @property
    def actor(self) -> Actor:
        """Who the customer's changes are recorded as: the system, in the name of the portal party."""
        return Actor(user_id=None, username=f"portal:{self.party_id}", role="system")


def start_session(tx: Transaction, key: bytes, party_id: int, hours: int, now: datetime) -> str:
    """A new session for ``party_id``: the value of its cookie."""
    token = new_token()
    tx.conn.execute(
        portal_session.insert().values(
            party_id=party_id,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    return signed(key, token)


def session_of(
    conn: Connection, key: bytes, cookie: str | None, now: datetime
) -> PortalSession | None:
    """The live session a cookie names, or None (no cookie, a bad signature, ended or expired)."""
    token = unsigned(key, cookie) if cookie else None
    if token is None:
        return None
    row = conn.execute(
        select(portal_session.c.id, portal_session.c.party_id).where(
            portal_session.c.token_hash == token_hash(token),
            portal_session.c.ended_at.is_(None),
            portal_session.c.expires_at > now,
        )
    ).one_or_none()
    if row is None:
        return None
    return PortalSession(row.id, row.party_id, keyed(key, f"csrf:{token}"))


def end_session(tx: Transaction, session_id: int, now: datetime) -> None:
    """Sign out: the cookie no longer signs anyone in, even if a copy of it survives."""
    tx.conn.execute(
        update(portal_session).where(portal_session.c.id == session_id).values(ended_at=now)
    )
