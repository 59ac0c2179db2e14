"""Seats: taken and given back by conditional UPDATEs of the counters, never read-then-write.

``UPDATE … SET seats_taken = seats_taken + 1 WHERE seats_taken < capacity`` is decided by
the database under the row's lock (PostgreSQL re-checks the condition after waiting for a
concurrent writer; SQLite has one writer at a time), so two confirmations racing for the
last seat get one seat between them.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Table, update

from crmkit_campaigns.events.tables import event, session


def _take(conn: Connection, table: Table, row_id: int) -> bool:
    done = conn.execute(
        update(table)
        .where(
            table.c.id == row_id,
            table.c.capacity.is_(None) | (table.c.seats_taken < table.c.capacity),
        )
        .values(seats_taken=table.c.seats_taken + 1)
    )
    return done.rowcount == 1


def _give_back(conn: Connection, table: Table, row_ids: Sequence[int]) -> None:
    if row_ids:
        conn.execute(
            update(table)
            .where(table.c.id.in_(row_ids), table.c.seats_taken > 0)
            .values(seats_taken=table.c.seats_taken - 1)
        )


def take_seat(conn: Connection, event_id: int, session_ids: Sequence[int]) -> bool:
    """A seat at the event and in each chosen session, or none at all (False)."""
    if not _take(conn, event, event_id):
        return False
    taken: list[int] = []
    for session_id in sorted(session_ids):
        if not _take(conn, session, session_id):
            _give_back(conn, session, taken)
            _give_back(conn, event, [event_id])
            return False
        taken.append(session_id)
    return True


def give_back_seat(conn: Connection, event_id: int, session_ids: Sequence[int]) -> None:
    """Free the seat a registration held, at the event and in its sessions."""
    _give_back(conn, event, [event_id])
    _give_back(conn, session, list(session_ids))
