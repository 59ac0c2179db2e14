"""Choosing the owner of a new prospect: a plugin first (``assign_owner``), else the configured strategy.

Owners are the active users of the role ``sales``. Strategies:

* ``round_robin``: the next salesperson after the owner of the last prospect taken in;
* ``territory``: the salesperson whose territory fits the prospect's address most
  closely (``DE-10`` before ``DE``; territories match as in
  :mod:`crmkit.core.territories`), the least busy one on a tie; round robin when
  no territory fits;
* ``workload``: the salesperson with the fewest open prospects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Connection, func, select

from crmkit.core.db import Transaction
from crmkit.core.entities import Prospect
from crmkit.core.settings import IntakeSettings
from crmkit.core.tables import party, user
from crmkit.core.territories import party_territory, territory_fit

OWNER_ROLE = "sales"
OPEN_STATUSES = ("new", "working")


_OWNERS = (
    select(user.c.id, user.c.territories)
    .where(user.c.active.is_(True), user.c.role == OWNER_ROLE)
    .order_by(user.c.id)
)


def candidates(conn: Connection) -> list[tuple[int, tuple[str, ...]]]:
    """Every possible owner, by id: ``(user id, territories)``."""
    return [(r.id, tuple(r.territories or ())) for r in conn.execute(_OWNERS)]


def last_in_turn(conn: Connection, owners: Sequence[int]) -> tuple[int, int] | None:
    """``(party id, owner)`` of the last party taken in (the highest id) owned by one of ``owners``."""
    row = conn.execute(
        select(party.c.id, party.c.owner_id)
        .where(party.c.quality.is_not(None), party.c.owner_id.in_(owners))
        .order_by(party.c.id.desc())
        .limit(1)
    ).first()
    return None if row is None else (row.id, row.owner_id)


def next_in_turn(owners: Sequence[int], last: int | None) -> int:
    """The owner after ``last`` (the owner of the last prospect taken in), by id, round the circle."""
    if last is None:
        return owners[0]
    return next((o for o in owners if o > last), owners[0])


def round_robin(conn: Connection, prospect: Prospect, owners: Sequence[int]) -> int:
    last = last_in_turn(conn, owners)
    return next_in_turn(owners, None if last is None else last[1])


def open_prospects(conn: Connection, owners: Sequence[int]) -> dict[int, int]:
    """How many open prospects each of ``owners`` has."""
    rows = conn.execute(
        select(party.c.owner_id, func.count())
        .where(
            party.c.role == "prospect",
            party.c.status.in_(OPEN_STATUSES),
            party.c.expired_at.is_(None),
            party.c.owner_id.in_(owners),
        )
        .group_by(party.c.owner_id)
    )
    return {r[0]: r[1] for r in rows}


def least_busy(owners: Sequence[int], counts: Mapping[int, int]) -> int:
    """The one of ``owners`` with the fewest open prospects (``counts``), the lowest id on a tie."""
    return min(owners, key=lambda o: (counts.get(o, 0), o))


def workload(conn: Connection, prospect: Prospect, owners: Sequence[int]) -> int:
    return least_busy(owners, open_prospects(conn, owners))


def closest(prospect: Prospect, people: Sequence[tuple[int, tuple[str, ...]]]) -> list[int]:
    """The owners whose territory fits the prospect's address most closely; none if none fits."""
    key = party_territory(prospect)
    fit = {owner: territory_fit(key, territories) for owner, territories in people}
    best = max(fit.values(), default=0)
    return [o for o, length in fit.items() if length == best] if best else []


def by_territory(
    conn: Connection, prospect: Prospect, people: Sequence[tuple[int, tuple[str, ...]]]
) -> int | None:
    fitting = closest(prospect, people)
    return workload(conn, prospect, fitting) if fitting else None


def choose_owner(tx: Transaction, prospect: Prospect, settings: IntakeSettings) -> int | None:
    """The owner for ``prospect``: its own if it has one, a plugin's choice, else the strategy's."""
    if prospect.owner_id is not None:
        return prospect.owner_id
    chosen: int | None = tx.hooks.call("assign_owner", tx=tx, prospect=prospect)
    if chosen is not None:
        return chosen
    people = candidates(tx.conn)
    if not people:
        return None
    owners = [o for o, _ in people]
    if settings.assignment == "territory":
        return by_territory(tx.conn, prospect, people) or round_robin(tx.conn, prospect, owners)
    if settings.assignment == "workload":
        return workload(tx.conn, prospect, owners)
    return round_robin(tx.conn, prospect, owners)
