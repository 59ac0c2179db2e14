"""Whether a party agreed to be contacted for a purpose on a channel: the kernel's consent records, read at send time."""

from __future__ import annotations

from sqlalchemy import Connection

from crmkit import consenting


def may_contact(conn: Connection, party_id: int, purpose: str, channel: str) -> bool:
    """True when the consent in force for ``purpose`` on ``channel`` is ``granted``."""
    return (party_id, purpose) in consenting(conn, {(party_id, purpose)}, channel)
