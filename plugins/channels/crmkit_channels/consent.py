"""Whether a party agreed to be contacted for a purpose on a channel: the kernel's consent records, read at send time."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Connection

from crmkit import consents_of_parties


def may_contact(conn: Connection, party_id: int, purpose: str, channel: str) -> bool:
    """True when the consent in force for ``purpose`` on ``channel`` is ``granted``."""
    return (party_id, purpose) in contactable(conn, {(party_id, purpose)}, channel)


def contactable(
    conn: Connection, asked: Collection[tuple[int, str]], channel: str
) -> set[tuple[int, str]]:
    """Those of the ``(party_id, purpose)`` pairs ``asked`` whose consent in force on ``channel`` is ``granted``."""
    if not asked:
        return set()
    granted = {
        (party_id, c.purpose)
        for party_id, consents in consents_of_parties(conn, {p for p, _ in asked}).items()
        for c in consents
        if c.channel == channel and c.status == "granted"
    }
    return granted & set(asked)
