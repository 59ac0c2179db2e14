"""Where a pull of an entity set stands: the last change time and key committed.

Rows come ordered by ``LastChangeDate, LastChangeTime, BusinessPartner``; the next page is
asked for with a filter that starts just past the cursor (the same change time with a
greater key, or a later time), so that no row is skipped or read twice even when
partners change while a sync runs. The filter uses only these shapes, which the
loopback server in ``crmkit_erp_sap.testing`` understands too::

    LastChangeDate gt datetime'2026-11-01T00:00:00'
    or (LastChangeDate eq datetime'2026-11-01T00:00:00'
        and (LastChangeTime gt time'PT09H30M00S'
             or (LastChangeTime eq time'PT09H30M00S' and BusinessPartner gt '1000042')))

Partners SAP never changed have no LastChangeDate; they come first (nulls first), read
by ``LastChangeDate eq null and BusinessPartner gt '...'`` then ``LastChangeDate ne null``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, insert, select, update

from crmkit import Transaction, utcnow
from crmkit_erp_sap.connection.values import BadValue, to_date, to_time
from crmkit_erp_sap.partners.tables import cursor

ORDER_BY = "LastChangeDate,LastChangeTime,BusinessPartner"


@frozen(order=False)
class Position:
    """Just after the row changed at ``changed_at`` (None: never changed) with key ``key``;
    ``Position()`` is before every row."""

    changed_at: datetime | None = None
    key: str | None = None

    def sort_key(self) -> tuple[bool, datetime, str]:
        """Orders positions as the server orders rows (never changed first)."""
        return (
            self.changed_at is not None,
            self.changed_at or datetime.min.replace(tzinfo=UTC),
            self.key or "",
        )

    def filter(self) -> str | None:
        """``$filter`` of the rows after this position; None from the start."""
        if self.key is None:
            return None
        key = _quoted(self.key)
        if self.changed_at is None:
            return (
                f"(LastChangeDate eq null and BusinessPartner gt {key}) or LastChangeDate ne null"
            )
        day = f"datetime'{self.changed_at:%Y-%m-%d}T00:00:00'"
        clock = f"time'PT{self.changed_at:%H}H{self.changed_at:%M}M{self.changed_at:%S}S'"
        return (
            f"LastChangeDate gt {day} or (LastChangeDate eq {day} and (LastChangeTime gt {clock}"
            f" or (LastChangeTime eq {clock} and BusinessPartner gt {key})))"
        )


def position_of(row: Mapping[str, Any]) -> Position:
    """The position just after ``row``; :class:`BadValue` when its change time is malformed."""
    key = row.get("BusinessPartner")
    if not isinstance(key, str) or not key:
        raise BadValue("BusinessPartner", key, "the partner has no number")
    day = to_date("LastChangeDate", row.get("LastChangeDate"))
    if day is None:
        return Position(None, key)
    clock = to_time("LastChangeTime", row.get("LastChangeTime"))
    return Position(datetime.combine(day, clock or datetime.min.time(), tzinfo=UTC), key)


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def read_position(conn: Connection, system: str, entity_set: str) -> Position:
    """Where the last committed page of ``entity_set`` of ``system`` ended."""
    row = conn.execute(
        select(cursor.c.last_change_at, cursor.c.last_key).where(
            cursor.c.system == system, cursor.c.entity_set == entity_set
        )
    ).first()
    return Position() if row is None else Position(row.last_change_at, row.last_key)


def move_position(
    tx: Transaction, system: str, entity_set: str, before: Position, after: Position
) -> bool:
    """Move the cursor from ``before`` to ``after`` in ``tx``; False when it is no longer at
    ``before`` (another sync of the system moved it: this one must not write its page)."""
    values = {"last_change_at": after.changed_at, "last_key": after.key, "updated_at": utcnow()}
    if before.key is None:
        exists = read_position(tx.conn, system, entity_set)
        if exists.key is not None:
            return False
        if (
            tx.conn.execute(
                select(cursor.c.system).where(
                    cursor.c.system == system, cursor.c.entity_set == entity_set
                )
            ).first()
            is None
        ):
            tx.conn.execute(insert(cursor).values(system=system, entity_set=entity_set, **values))
            return True
    moved = tx.conn.execute(
        update(cursor)
        .where(
            cursor.c.system == system,
            cursor.c.entity_set == entity_set,
            cursor.c.last_key.is_(None) if before.key is None else cursor.c.last_key == before.key,
            cursor.c.last_change_at.is_(None)
            if before.changed_at is None
            else cursor.c.last_change_at == before.changed_at,
        )
        .values(**values)
    )
    return moved.rowcount == 1


def reset_position(tx: Transaction, system: str, entity_set: str) -> None:
    """Start ``entity_set`` of ``system`` from the beginning (a full sync)."""
    tx.conn.execute(
        update(cursor)
        .where(cursor.c.system == system, cursor.c.entity_set == entity_set)
        .values(last_change_at=None, last_key=None, updated_at=utcnow())
    )
