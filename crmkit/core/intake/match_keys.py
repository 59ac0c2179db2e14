"""The blocking keys of every party in ``core_match_key``: what identity matching looks candidates up by.

Kept right wherever parties are written: created, updated, merged (the merged
party's keys go with it), imported in bulk; erased parties lose theirs by cascade.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, delete, insert

from crmkit.core.entities import Party
from crmkit.core.matching.blocking import blocking_keys
from crmkit.core.matching.record import MatchRecord, record_from_party
from crmkit.core.tables import match_key


def keys_of(record: MatchRecord) -> list[str]:
    return sorted(set(blocking_keys(record)))


def match_key_rows(party_id: int, entity: Party) -> list[dict[str, object]]:
    """``core_match_key`` rows of a party about to be inserted in bulk."""
    return key_rows(party_id, keys_of(record_from_party(entity)))


def key_rows(party_id: int, keys: Sequence[str]) -> list[dict[str, object]]:
    """``core_match_key`` rows of a party's keys (:func:`keys_of`)."""
    return [{"party_id": party_id, "key": key} for key in keys]


_INSERT_KEYS = insert(match_key)


def add_match_keys(conn: Connection, party_id: int, entity: Party) -> None:
    """Store the match keys of a party just created."""
    rows = match_key_rows(party_id, entity)
    if rows:
        conn.execute(_INSERT_KEYS, rows)


def index_match_keys(conn: Connection, party_id: int, entity: Party) -> None:
    """Replace the party's match keys with those of ``entity`` (after an update or merge)."""
    conn.execute(delete(match_key).where(match_key.c.party_id == party_id))
    add_match_keys(conn, party_id, entity)


def unindex_match_keys(conn: Connection, party_id: int) -> None:
    conn.execute(delete(match_key).where(match_key.c.party_id == party_id))
