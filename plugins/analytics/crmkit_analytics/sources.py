"""What other plugins publish to analytics: :class:`FactSource` objects from the
``analytics_sources`` hook.

A source turns its plugin's events into :class:`Measure` deltas for the rollup tables and
:class:`Purchase` rows for the customer models, and can rebuild both from its own tables.
Records whose state a figure follows (an open deal, an open case) are better published as
:class:`Fact` objects (``touched``, ``facts``, ``changed``): analytics keeps what each record
adds and applies only differences. Analytics knows no source by name; a plugin that
publishes one lists ``analytics`` in its ``optional_depends`` and imports these classes
inside its hook implementation. ``docs/rollups.md`` ("Feeding analytics from your plugin")
says how.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from typing import Any

from attrs import field, frozen
from sqlalchemy import Connection, and_, select

from crmkit import Event, contact_point_table, party_table, user_table


@frozen
class Measure:
    """A change to one rollup cell: ``count`` and ``amount`` are added to the cell of
    (metric, day, dimension, territory, team, owner). Negative values take away, so a deal
    moving from one stage to the next is two measures."""

    metric: str
    day: date
    count: int = 0
    amount: float = 0.0
    dimension: str = ""
    territory: str = ""
    team: str = ""
    owner_id: int | None = None


@frozen
class Purchase:
    """One order line of a party, in the CRM's base currency (after discounts, without tax)."""

    party_id: int
    occurred_at: datetime
    amount: float
    order_ref: str
    """Unique within the source (``sfa:order:123``): lines of one order share it."""
    product: str | None = None
    product_group: str | None = None
    quantity: float = 1.0
    channel: str | None = None


@frozen
class Target:
    """A planned figure for a period: a sales target, a marketing plan's budget or goal."""

    metric: str
    starts_on: date
    ends_on: date
    amount: float
    label: str
    territory: str = ""
    team: str = ""
    owner_id: int | None = None
    measure: str = "amount"
    """What the figure is set against: the metric's ``amount`` or its ``count``."""
    dimension: str = ""
    """Set against this dimension of the metric only (a product group, a campaign); "": all."""


@frozen
class Signal:
    """A fact about a party that speaks to its risk of leaving: an open complaint, a
    detractor's answer. ``weight`` is the source's own sense of its strength (0..1)."""

    party_id: int
    kind: str
    occurred_at: datetime
    weight: float = 1.0
    detail: str = ""


@frozen
class Fact:
    """What one record of a source (a deal, a case, a lead) adds to the rollups now.

    A source that publishes ``facts`` lets analytics keep each record's contribution: when an
    event touches the record, its facts are computed again and only the difference is
    applied. So a deal that changes stage, amount, owner or party moves its figures from one
    cell to the other however little its event says, and applying an event twice changes
    nothing. ``party_id`` lets analytics recompute the party's records when the party is
    updated (owner, address), merged or erased."""

    key: str
    """Unique within the source (``deal:12``)."""
    measures: tuple[Measure, ...] = ()
    party_id: int | None = None


@frozen
class Record:
    """How the dashboard's drill-down list shows one record of a source (see
    :attr:`FactSource.describe`): a label and the URL of the record's own page."""

    key: str
    """The record's :attr:`Fact.key`."""
    label: str
    url: str = ""
    detail: str = ""
    """A short second line (a party's name, a stage), shown beside the label."""


def ids_of_keys(keys: Sequence[str], prefix: str) -> list[int]:
    """The integer ids of the :attr:`Fact.key` values of one kind (``ids_of_keys(keys,
    "case:")``: the cases among ``keys``), sorted, for a source's ``describe``."""
    n = len(prefix)
    return sorted({int(k[n:]) for k in keys if k.startswith(prefix) and k[n:].isdigit()})


@frozen
class Metric:
    """A metric a source's measures fill: its name, how to show it, and the list behind it."""

    name: str
    label: str
    unit: str = "count"
    """``count`` or a currency-like ``amount``."""
    drill: Callable[..., str] | None = None
    """``drill(dimension=..., start=..., end=..., territory=..., team=...)``: the URL of
    the list behind a figure, filtered the same way. Used only for a metric no record's
    :class:`Fact` fills: the records behind a fact-kept figure are listed by the dashboard's
    own drill page (``/p/analytics/drill``), which filters them by period, dimension,
    territory and team exactly as the figure is summed (``FactSource.describe``)."""


@frozen
class FactSource:
    """One plugin's contribution. Every callable is optional."""

    name: str
    metrics: tuple[Metric, ...] = ()
    event_types: frozenset[str] = field(factory=frozenset)
    measures: Callable[[Connection, Event], Iterable[Measure]] | None = None
    purchases: Callable[[Connection, Event], Iterable[Purchase]] | None = None
    rebuild_measures: Callable[[Connection], Iterable[Measure]] | None = None
    rebuild_purchases: Callable[[Connection], Iterable[Purchase]] | None = None
    targets: Callable[[Connection, date, date], Iterable[Target]] | None = None
    signals: Callable[[Connection, datetime], Iterable[Signal]] | None = None
    """``signals(conn, since)``: the signals of parties since then."""
    touched: Callable[[Connection, Event], Iterable[str]] | None = None
    """``touched(conn, event)``: the keys of the records (see :class:`Fact`) the event
    touches, for events in ``event_types``."""
    facts: Callable[[Connection, Sequence[str] | None], Iterable[Fact]] | None = None
    """``facts(conn, keys)``: the facts of those records as they are now (a record that no
    longer exists, or adds nothing, is left out); ``keys`` None: of every record (a rebuild).
    Rollups of the metrics the facts fill are kept from facts alone: ``measures`` and
    ``rebuild_measures`` are for flows that no record keeps."""
    describe: Callable[[Connection, Sequence[str]], Iterable[Record]] | None = None
    """``describe(conn, keys)``: a :class:`Record` (label, URL of its page) for each of those
    keys of the source's facts that still exists, read from the source's tables in one query.
    The dashboard's drill page lists the records behind a figure (the facts whose measures
    fill its cells, in the actor's scope and of parties they may see) and shows each so; a
    record it does not describe is shown by its key."""
    changed: Callable[[Connection, datetime], Iterable[str]] | None = None
    """``changed(conn, since)``: the keys of the records changed since then, for a plugin
    whose changes do not all emit events (a new deal, an edited amount): analytics' catch-up
    job refreshes them every few minutes. Recomputing a record twice changes nothing, so
    the window may overlap."""


@frozen
class PartyCell:
    """Where a party's figures go: its territory key, its owner's team, its owner."""

    territory: str = ""
    team: str = ""
    owner_id: int | None = None


def party_cells(conn: Connection, party_ids: Collection[int]) -> dict[int, PartyCell]:
    """The territory key (``DE-10115``, of the first address), owner and owner's team of each
    party, for a source's measures; parties that do not exist are left out."""
    ids = sorted({int(p) for p in party_ids if p is not None})
    found: dict[int, PartyCell] = {}
    first_address = and_(
        contact_point_table.c.party_id == party_table.c.id,
        contact_point_table.c.kind == "address",
        contact_point_table.c.position == 0,
    )
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = conn.execute(
            select(
                party_table.c.id,
                party_table.c.owner_id,
                user_table.c.team,
                contact_point_table.c.key,
            )
            .select_from(
                party_table.outerjoin(
                    user_table, user_table.c.id == party_table.c.owner_id
                ).outerjoin(contact_point_table, first_address)
            )
            .where(party_table.c.id.in_(chunk))
        )
        for row in rows:
            found[row.id] = PartyCell((row.key or "")[:40], (row.team or "")[:80], row.owner_id)
    return found


def day_of(moment: datetime | date) -> date:
    """The day a moment falls on (UTC), for ``Measure.day``."""
    return moment.date() if isinstance(moment, datetime) else moment


_CRM: ContextVar[Any] = ContextVar("crmkit_analytics_crm", default=None)


def current_crm() -> Any:
    """The CRM whose rollups analytics is computing, for a source's callable that needs more
    than its connection (its plugin's settings, which plugins are loaded); None outside."""
    return _CRM.get()


@contextmanager
def computing_for(app: Any) -> Iterator[None]:
    """Run a source's callables for ``app`` (analytics does this around every call)."""
    token = _CRM.set(app)
    try:
        yield
    finally:
        _CRM.reset(token)
