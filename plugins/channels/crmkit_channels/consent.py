"""Whether a party agreed to be contacted for a purpose on a channel: the kernel's consent records, read at send time."""

from __future__ import annotations

from sqlalchemy import Connection

from crmkit import consents_of


def may_contact(conn: Connection, party_id: int, purpose: str, channel: str) -> bool:
    """True when the consent in force for ``purpose`` on ``channel`` is ``granted``."""
    return any(
        c.purpose == purpose and c.channel == channel and c.status == "granted"
        for c in consents_of(conn, party_id)
    )
