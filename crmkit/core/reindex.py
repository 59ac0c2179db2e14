"""Rebuilding every party's match keys and search terms from its stored data.

Parties stored before migration core_0003 have no match keys, and nothing
fills them in later (core_0005 back-fills the search terms it adds); writes
keep both in step from then on. A reindex replaces both, batch by batch in
the parties' id order, each batch in its own transaction: interrupted, it
leaves every batch either done or untouched, and a second run writes the same
rows again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import Connection, Engine, Table, delete, func, insert, select

from crmkit.core.db import reading, writing
from crmkit.core.entities import Party
from crmkit.core.errors import ValidationError
from crmkit.core.intake.match_keys import match_key_rows
from crmkit.core.parties import load_parties
from crmkit.core.search import search_rows
from crmkit.core.tables import match_key, party, search_term

BATCH_SIZE = 2000
"""Parties per transaction: few enough to keep each short, enough to keep the round trips few."""

ReindexProgress = Callable[[int, int], None]
"""Told ``(parties done, parties in all)`` before the first batch and after each."""

INDEXES: tuple[tuple[Table, Callable[[int, Party], list[dict[str, object]]]], ...] = (
    (match_key, match_key_rows),
    (search_term, search_rows),
)


def reindex_batch(conn: Connection, party_ids: Sequence[int]) -> None:
    """Replace the match keys and search terms of ``party_ids`` with those of their stored data."""
    parties = load_parties(conn, party_ids)
    for table, rows_of in INDEXES:
        conn.execute(delete(table).where(table.c.party_id.in_(party_ids)))
        rows = [row for party_id, entity in parties.items() for row in rows_of(party_id, entity)]
        if rows:
            conn.execute(insert(table), rows)


def reindex(
    engine: Engine, *, batch_size: int = BATCH_SIZE, progress: ReindexProgress | None = None
) -> int:
    """Rebuild the match keys and search terms of every party; how many parties it went through.

    Parties written meanwhile are indexed by their own writes; each batch locks
    its parties only while it rewrites their rows.
    """
    if batch_size < 1:
        raise ValidationError("batch_size", f"must be at least 1, not {batch_size}")
    with reading(engine) as conn:
        total = conn.execute(select(func.count()).select_from(party)).scalar_one()
    done, last_id = 0, None
    if progress is not None:
        progress(done, total)
    while True:
        with writing(engine) as conn:
            # Locked, so that a party changed meanwhile is indexed by whichever write comes last.
            query = select(party.c.id).order_by(party.c.id).limit(batch_size).with_for_update()
            if last_id is not None:
                query = query.where(party.c.id > last_id)
            ids = list(conn.scalars(query))
            if not ids:
                return done
            reindex_batch(conn, ids)
        done, last_id = done + len(ids), ids[-1]
        if progress is not None:
            progress(done, max(total, done))
