"""Keeping the rollups up to date: the event feed and the rebuild from the sources' tables.

Each event is applied **once**: its id goes into ``analytics_applied_event`` in the same
transaction as its deltas, and a redelivered event (``on_event`` is at least once) finds it
there and does nothing. A rebuild replaces a source's rollups (and purchases) with what
its tables say now and notes the time; events that happened before that time are already
in the rebuilt figures and are skipped for that source, so that a rebuild followed by more
events gives what the events alone would have.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from itertools import islice
from typing import TYPE_CHECKING, Any

from attrs import frozen
from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from crmkit import utcnow
from crmkit_analytics.rollups.reading import source_named, sources
from crmkit_analytics.rollups.tables import (
    NO_OWNER,
    applied_event,
    contribution,
    rollup,
    source_state,
)
from crmkit_analytics.sources import Measure, computing_for

if TYPE_CHECKING:
    from crmkit import Crm, Event
    from crmkit_analytics.sources import Fact, FactSource, Purchase

log = logging.getLogger(__name__)


@frozen
class MetricInfo:
    """A metric a source fills: its name, label and unit (``count`` or ``amount``)."""

    name: str
    label: str
    unit: str


@frozen
class SourceState:
    """A source analytics knows, and when its rollups were last rebuilt and caught up."""

    name: str
    metrics: list[MetricInfo]
    rebuilt_at: datetime | None
    caught_up_at: datetime | None


@frozen
class Rebuilt:
    """What a rebuild wrote for one source: rollup cells and purchase lines."""

    source: str
    cells: int
    purchases: int


BATCH = 1000
"""Cells per upsert statement."""

Cell = tuple[str, date, str, str, str, int]


def _insert(conn: Connection) -> Any:
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def _summed(measures: Iterable[Measure]) -> dict[Cell, list[float]]:
    """Deltas added up per cell, so that each cell is written once per batch."""
    cells: dict[Cell, list[float]] = defaultdict(lambda: [0, 0.0])
    for m in measures:
        key = (
            m.metric,
            m.day,
            m.dimension or "",
            m.territory or "",
            m.team or "",
            NO_OWNER if m.owner_id is None else m.owner_id,
        )
        sums = cells[key]
        sums[0] += m.count
        sums[1] += m.amount
    return cells


def _rows(cells: dict[Cell, list[float]]) -> Iterator[dict[str, Any]]:
    for (metric, day, dimension, territory, team, owner), (count, amount) in cells.items():
        if count == 0 and amount == 0:
            continue
        yield {
            "metric": metric[:80],
            "day": day,
            "dimension": dimension[:120],
            "territory": territory[:40],
            "team": team[:80],
            "owner_id": owner,
            "count": int(count),
            "amount": float(amount),
        }


def _upsert(conn: Connection) -> Any:
    """The upsert adding a cell's deltas (built once per dialect; SQLAlchemy caches its SQL)."""
    dialect = conn.dialect.name
    found = _UPSERTS.get(dialect)
    if found is None:
        statement = _insert(conn)(rollup)
        found = statement.on_conflict_do_update(
            index_elements=[
                rollup.c.metric,
                rollup.c.day,
                rollup.c.dimension,
                rollup.c.territory,
                rollup.c.team,
                rollup.c.owner_id,
            ],
            set_={
                "count": rollup.c.count + statement.excluded["count"],
                "amount": rollup.c.amount + statement.excluded["amount"],
            },
        )
        _UPSERTS[dialect] = found
    return found


_UPSERTS: dict[str, Any] = {}


def add_measures(conn: Connection, measures: Iterable[Measure]) -> int:
    """Add ``measures`` to their cells, creating the cells that are missing: one upsert
    statement per batch of cells (executed for the batch's rows at once); how many cells
    were touched."""
    statement = _upsert(conn)
    rows = _rows(_summed(measures))
    touched = 0
    while batch := list(islice(rows, BATCH)):
        conn.execute(statement, batch)
        touched += len(batch)
    return touched


# --- Facts: each record's contribution, recomputed when an event touches it

PARTY_EVENTS = frozenset(
    {"party.merged", "party.erased", "prospect.updated", "customer.updated", "prospect.converted"}
)
"""Kernel events after which the records of the parties they name are computed again: an
owner, an address, a merge or an erasure moves or removes their figures."""


def _party_ids(event: Event) -> list[int]:
    payload = event.payload or {}
    found = [payload.get(k) for k in ("id", "merged_id", "survivor_id")]
    return [int(p) for p in found if isinstance(p, int) and not isinstance(p, bool)]


def _serialised(measures: Iterable[Measure]) -> list[list[Any]]:
    return [
        [metric, day.isoformat(), dimension, territory, team, owner, count, amount]
        for (metric, day, dimension, territory, team, owner), (count, amount) in _summed(
            measures
        ).items()
        if count or amount
    ]


def _negated(cells: Iterable[list[Any]]) -> Iterator[Measure]:
    for metric, day, dimension, territory, team, owner, count, amount in cells:
        yield Measure(
            metric=metric,
            day=date.fromisoformat(day),
            count=-int(count),
            amount=-float(amount),
            dimension=dimension,
            territory=territory,
            team=team,
            owner_id=owner,
        )


def _store_facts(conn: Connection, source: FactSource, facts: Iterable[Fact]) -> Iterator[Measure]:
    """Write the contributions of ``facts`` (their rows must be gone) and yield their measures."""
    rows = []
    for fact in facts:
        cells = _serialised(fact.measures)
        if cells:
            rows.append(
                {
                    "source": source.name,
                    "key": fact.key[:120],
                    "party_id": fact.party_id,
                    "cells": cells,
                }
            )
            yield from fact.measures
        if len(rows) >= BATCH:
            conn.execute(contribution.insert(), rows)
            rows = []
    if rows:
        conn.execute(contribution.insert(), rows)


def refresh_facts(conn: Connection, source: FactSource, keys: Iterable[str]) -> int:
    """Compute the facts of ``keys`` again and apply the difference from what they added
    before; how many records were refreshed."""
    wanted = sorted({k[:120] for k in keys})
    if not wanted or source.facts is None:
        return 0
    old: list[Measure] = []
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start : start + BATCH]
        where = (contribution.c.source == source.name) & contribution.c.key.in_(chunk)
        # DELETE … RETURNING: only what this transaction removed is taken away, so that two
        # deliverers refreshing one record at once cannot both subtract it (the second
        # waits for the first and finds nothing; its insert then conflicts and is retried).
        for row in conn.execute(delete(contribution).where(where).returning(contribution.c.cells)):
            old.extend(_negated(row.cells))
    new = list(_store_facts(conn, source, source.facts(conn, wanted)))
    add_measures(conn, [*old, *new])
    return len(wanted)


def _keys_of_parties(conn: Connection, source: FactSource, party_ids: list[int]) -> list[str]:
    if not party_ids:
        return []
    return list(
        conn.execute(
            select(contribution.c.key).where(
                contribution.c.source == source.name, contribution.c.party_id.in_(party_ids)
            )
        ).scalars()
    )


def _add_purchases(conn: Connection, source_name: str, purchases: Iterable[Purchase]) -> None:
    try:
        from crmkit_analytics.transactions.feed import add_purchases
    except ImportError:  # the transactions part is not there: nothing keeps purchases
        return
    add_purchases(conn, source_name, purchases)


def _rebuilt_at(conn: Connection) -> dict[str, datetime]:
    return {
        row.source: row.rebuilt_at
        for row in conn.execute(select(source_state.c.source, source_state.c.rebuilt_at))
    }


def _touched(conn: Connection, source: FactSource, event: Event) -> list[str]:
    """The keys of ``source``'s records that ``event`` may have changed."""
    keys: list[str] = []
    if source.touched is not None and event.type in source.event_types:
        keys.extend(source.touched(conn, event))
    if event.type in PARTY_EVENTS:
        keys.extend(_keys_of_parties(conn, source, _party_ids(event)))
    return keys


def apply_event(app: Crm, event: Event) -> bool:
    """Apply ``event`` to the rollups of every source that listens to it, once; whether it
    was applied now (False: nobody listens, or it was applied before)."""
    listening = [
        s
        for s in sources(app)
        if event.type in s.event_types or (s.facts is not None and event.type in PARTY_EVENTS)
    ]
    if not listening:
        return False
    with app.transaction() as tx, computing_for(app):
        conn = tx.conn
        keys = {s.name: _touched(conn, s, event) for s in listening if s.facts is not None}
        flows = [
            s
            for s in listening
            if event.type in s.event_types and (s.measures is not None or s.purchases is not None)
        ]
        if not flows and not any(keys.values()):
            return False  # it touches no record and brings no flow: nothing to claim
        claimed = conn.execute(
            _insert(conn)(applied_event)
            .values(event_id=event.id, applied_at=utcnow())
            .on_conflict_do_nothing(index_elements=[applied_event.c.event_id])
            .returning(applied_event.c.event_id)
        ).first()
        if claimed is None:
            return False
        for source in listening:
            if source.facts is not None:
                refresh_facts(conn, source, keys[source.name])
        rebuilt = _rebuilt_at(conn) if flows else {}
        for source in flows:
            since = rebuilt.get(source.name)
            if since is not None and event.occurred_at <= since:
                continue
            if source.measures is not None:
                add_measures(conn, source.measures(conn, event))
            if source.purchases is not None:
                _add_purchases(conn, source.name, source.purchases(conn, event))
    return True


def _metric_names(source: FactSource) -> list[str]:
    return [m.name for m in source.metrics]


def rebuild_source(conn: Connection, source: FactSource) -> dict[str, int]:
    """Replace ``source``'s rollups and purchases with what its tables say now, in ``conn``'s
    transaction; the counts of cells and purchase lines written."""
    now = utcnow()
    cells = 0
    lines = 0
    if source.rebuild_measures is not None or source.facts is not None:
        names = _metric_names(source)
        if names:
            conn.execute(delete(rollup).where(rollup.c.metric.in_(names)))
    if source.facts is not None:
        conn.execute(delete(contribution).where(contribution.c.source == source.name))
        cells += add_measures(conn, _store_facts(conn, source, source.facts(conn, None)))
    if source.rebuild_measures is not None:
        cells += add_measures(conn, source.rebuild_measures(conn))
    if source.rebuild_purchases is not None:
        try:
            from crmkit_analytics.transactions.feed import add_purchases, remove_source
        except ImportError:
            pass
        else:
            remove_source(conn, source.name)
            lines = add_purchases(conn, source.name, source.rebuild_purchases(conn))
    _note(conn, source.name, rebuilt_at=now, caught_up_at=now)
    return {"cells": cells, "purchases": lines}


def _note(conn: Connection, name: str, **moments: datetime) -> None:
    statement = _insert(conn)(source_state).values(source=name, **moments)
    conn.execute(
        statement.on_conflict_do_update(index_elements=[source_state.c.source], set_=moments)
    )


CATCH_UP_OVERLAP = timedelta(minutes=2)
"""The catch-up looks this far behind its last run: a change committed late (its
``updated_at`` set before the last run read) is still seen; refreshing twice is harmless."""


def catch_up(app: Crm) -> dict[str, int]:
    """Refresh the records each source with ``changed`` reports changed since the last
    catch-up (or rebuild); how many per source. A source never caught up nor rebuilt is
    rebuilt, which is where its figures start."""
    done: dict[str, int] = {}
    for source in sources(app):
        if source.changed is None or source.facts is None:
            continue
        with app.transaction() as tx, computing_for(app):
            conn = tx.conn
            now = utcnow()
            row = conn.execute(
                select(source_state.c.caught_up_at, source_state.c.rebuilt_at).where(
                    source_state.c.source == source.name
                )
            ).first()
            since = None if row is None else (row.caught_up_at or row.rebuilt_at)
            if since is None:
                rebuild_source(conn, source)
                done[source.name] = -1
                continue
            done[source.name] = refresh_facts(
                conn, source, source.changed(conn, since - CATCH_UP_OVERLAP)
            )
            _note(conn, source.name, caught_up_at=now)
    return done


def rebuild_in(tx: Any, source_name: str | None = None) -> dict[str, dict[str, int]]:
    """As :func:`rebuild`, every source in the one transaction ``tx`` (a request's)."""
    app = tx.app
    chosen = [source_named(app, source_name)] if source_name else list(sources(app))
    with computing_for(app):
        return {source.name: rebuild_source(tx.conn, source) for source in chosen}


def states(app: Crm, conn: Connection) -> list[SourceState]:
    """Each source with its metrics and when it was last rebuilt and caught up."""
    known = {
        row.source: row
        for row in conn.execute(
            select(source_state.c.source, source_state.c.rebuilt_at, source_state.c.caught_up_at)
        )
    }
    found = []
    for source in sources(app):
        row = known.get(source.name)
        found.append(
            SourceState(
                name=source.name,
                metrics=[MetricInfo(m.name, m.label, m.unit) for m in source.metrics],
                rebuilt_at=None if row is None else row.rebuilt_at,
                caught_up_at=None if row is None else row.caught_up_at,
            )
        )
    return found


def rebuild(app: Crm, source_name: str | None = None) -> dict[str, dict[str, int]]:
    """Rebuild every source (or the one named), each in its own transaction; what each
    wrote. :class:`crmkit.NotFound` for a source nobody publishes."""
    chosen = [source_named(app, source_name)] if source_name else list(sources(app))
    done: dict[str, dict[str, int]] = {}
    for source in chosen:
        with app.transaction() as tx, computing_for(app):
            done[source.name] = rebuild_source(tx.conn, source)
        log.info("analytics: rebuilt source %s: %s", source.name, done[source.name])
    return done


def forget_applied(app: Crm, older_than: timedelta) -> int:
    """Forget the ids of events applied more than ``older_than`` ago, and drop the cells
    brought back to nothing; how many ids."""
    with app.transaction() as tx:
        done = tx.conn.execute(
            delete(applied_event).where(applied_event.c.applied_at < utcnow() - older_than)
        )
        tx.conn.execute(delete(rollup).where(rollup.c.count == 0, rollup.c.amount == 0))
    return done.rowcount or 0
