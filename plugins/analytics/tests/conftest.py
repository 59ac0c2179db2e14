"""Fixtures of the analytics plugin's tests: a CRM with analytics (and other plugins when asked),
staff, parties.

Each test runs on SQLite by default, on PostgreSQL with ``CRMKIT_TEST_DATABASE_URL``.
``client_as(actor)`` (the kernel's fixture) gives an HTTP client signed on as ``actor``.
Each part's fixtures follow under its own heading.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from attrs import frozen

from crmkit import Crm
from crmkit.testing import Staff as Staff
from crmkit.testing import crm_maker

CrmMaker = Callable[..., Crm]


@pytest.fixture
def make_analytics(make_crm: Callable[..., Crm]) -> CrmMaker:
    """``make_analytics(analytics={...}, with_plugins=("sfa",), settings={...})``: a CRM with the
    analytics plugin, the named plugins and these settings (``settings``: other plugins' tables)."""
    return crm_maker(make_crm, "analytics")


@pytest.fixture
def crm(make_analytics: CrmMaker) -> Crm:
    """A CRM with the analytics plugin alone, default settings, tables created."""
    return make_analytics()


PartyMaker = Callable[..., int]


# --- profiles

PurchaseAdder = Callable[..., None]


def insert_purchases(
    crm: Crm,
    party_id: int,
    orders: list[tuple[float, float]],
    group: str | None = None,
    channel: str | None = None,
    now: Any = None,
) -> None:
    """One order per ``(days_ago, amount)`` (``days_ago`` before ``now``, default now), written
    straight into ``analytics_purchase`` as a source would have them."""
    from datetime import timedelta

    from crmkit_analytics.transactions.tables import purchase
    from sqlalchemy import func, insert, select

    from crmkit import utcnow

    at = now or utcnow()
    with crm.transaction() as tx:
        start = tx.conn.execute(select(func.count()).select_from(purchase)).scalar_one()
        tx.conn.execute(
            insert(purchase),
            [
                {
                    "source": "test",
                    "order_ref": f"test:{start + i}",
                    "line": 1,
                    "party_id": party_id,
                    "occurred_at": at - timedelta(days=days_ago),
                    "amount": amount,
                    "product": None,
                    "product_group": group,
                    "quantity": 1.0,
                    "channel": channel,
                }
                for i, (days_ago, amount) in enumerate(orders)
            ],
        )


@pytest.fixture
def add_purchases(crm: Crm) -> PurchaseAdder:
    """``add_purchases(party_id, [(days_ago, amount), ...], group=None, channel=None, now=...)``:
    :func:`insert_purchases` on ``crm``."""

    def add(party_id: int, orders: list[tuple[float, float]], **options: Any) -> None:
        insert_purchases(crm, party_id, orders, **options)

    return add


# --- suggestions

BasketMaker = Callable[..., None]


@pytest.fixture
def bought(crm: Crm) -> BasketMaker:
    """``bought(party_id, "A", "B", ...)``: one order of the party with a line per product,
    written straight into the purchases table (as the sources' feed writes them)."""
    from datetime import UTC, datetime

    from crmkit_analytics.transactions.tables import purchase
    from sqlalchemy import insert

    orders = iter(range(1, 1_000_000))

    def add(party_id: int, *products: str) -> None:
        order = f"test:order:{next(orders)}"
        with crm.transaction() as tx:
            tx.conn.execute(
                insert(purchase),
                [
                    {
                        "source": "test",
                        "order_ref": order,
                        "line": line,
                        "party_id": party_id,
                        "occurred_at": datetime(2026, 3, 1, tzinfo=UTC),
                        "amount": 10.0,
                        "product": product,
                        "quantity": 1.0,
                    }
                    for line, product in enumerate(products, 1)
                ],
            )

    return add


# --- dashboard


@pytest.fixture
def put_rollups(crm: Crm) -> Callable[..., None]:
    """``put_rollups(rows)``: rollup cells written straight into ``analytics_rollup``; each row
    a dict of metric, day and any of dimension, territory, team, owner_id, count, amount."""
    from crmkit_analytics.rollups.tables import NO_OWNER, rollup
    from sqlalchemy import insert

    def put(rows: list[dict[str, Any]]) -> None:
        cells = [
            {
                "dimension": "",
                "territory": "",
                "team": "",
                "count": 0,
                "amount": 0.0,
                **row,
                "owner_id": row.get("owner_id") or NO_OWNER,
            }
            for row in rows
        ]
        with crm.transaction() as tx:
            tx.conn.execute(insert(rollup), cells)

    return put


def dashboard_feeder(
    metrics: tuple[Any, ...], targets: tuple[Any, ...] = (), name: str = "feeder"
) -> Any:
    """A throwaway plugin publishing one analytics source with these metrics and targets."""
    from crmkit_analytics.sources import FactSource

    from crmkit import hookimpl
    from crmkit.testing import register_plugin

    def planned(conn: Any, start: Any, end: Any) -> list[Any]:
        return [t for t in targets if t.starts_on <= end and t.ends_on >= start]

    source = FactSource(name=name, metrics=metrics, targets=planned if targets else None)

    class Feeder:
        @hookimpl(optionalhook=True)
        def analytics_sources(self) -> list[Any]:
            return [source]

    return register_plugin(Feeder(), name=name, depends=("analytics",))


# --- rollups


def rollup_cells(crm: Crm, prefix: str = "") -> dict[tuple[Any, ...], tuple[int, float]]:
    """Every non-empty rollup cell whose metric starts with ``prefix``:
    (metric, day, dimension, territory, team, owner_id) -> (count, amount)."""
    from crmkit_analytics.rollups.tables import rollup
    from sqlalchemy import select

    with crm.read() as conn:
        rows = conn.execute(select(rollup).where(rollup.c.metric.startswith(prefix)))
        return {
            (r.metric, r.day, r.dimension, r.territory, r.team, r.owner_id): (
                int(r.count),
                round(float(r.amount), 6),
            )
            for r in rows
            if r.count or abs(r.amount) > 1e-9
        }


@pytest.fixture
def crm_with_sources(make_analytics: CrmMaker) -> Callable[..., Crm]:
    """``crm_with_sources(*sources)``: a CRM with analytics and a plugin publishing these
    :class:`~crmkit_analytics.sources.FactSource` objects (as a connector would)."""
    from crmkit import hookimpl
    from crmkit.testing import register_plugin

    def make(*published: Any) -> Crm:
        class Feeding:
            @hookimpl(optionalhook=True)
            def analytics_sources(self) -> list[Any]:
                return list(published)

        plugin = register_plugin(Feeding(), name="feeding", optional_depends=("analytics",))
        return make_analytics(plugins=(plugin,))

    return make


# --- churn


@frozen
class GeneratedCrm:
    """A CRM loaded with generated histories (``crmkit_analytics.churn.synthetic``): the party id
    of each generated customer, the moment their history ends (``now``), the signals."""

    crm: Crm
    party_ids: list[int]
    now: Any
    signals: list[Any]


def signal_source(signals: list[Any]) -> Any:
    """A throwaway plugin publishing ``signals`` (``crmkit_analytics.sources.Signal``) as an
    analytics source, as the service and surveys plugins publish complaints and answers."""
    from crmkit_analytics.sources import FactSource

    from crmkit import hookimpl
    from crmkit.testing import register_plugin

    class Signals:
        @hookimpl
        def analytics_sources(self) -> list[Any]:
            def since(conn: Any, moment: Any) -> list[Any]:
                return [s for s in signals if s.occurred_at >= moment]

            return [FactSource(name="test_signals", signals=since)]

    return register_plugin(Signals(), name="test_signals")


@pytest.fixture
def generated_crm(make_analytics: CrmMaker) -> Callable[..., GeneratedCrm]:
    """``generated_crm(customers=300, seed=7, owner_id=None)``: a CRM with analytics and a
    signal source, holding ``customers`` generated histories (purchases, phone calls,
    complaints and detractor answers) that end now."""
    from datetime import timedelta

    from crmkit_analytics.churn import synthetic
    from crmkit_analytics.sources import Signal
    from crmkit_analytics.transactions.tables import purchase
    from sqlalchemy import insert

    from crmkit import build_interaction, build_party, create_parties, log_interactions, utcnow

    def make(customers: int = 300, seed: int = 7) -> GeneratedCrm:
        signals: list[Any] = []
        crm = make_analytics(plugins=(signal_source(signals),))
        made = synthetic.generate(customers, seed=seed)
        now = utcnow().replace(microsecond=0)

        def moment(day: float) -> Any:
            return now - timedelta(days=made.end - float(day))

        with crm.transaction() as tx:
            parties = create_parties(
                tx,
                [
                    build_party(
                        "customer", {"kind": "person", "last_name": f"Customer {i}"}, region=None
                    )
                    for i in range(customers)
                ],
            )
            ids = [p.id for p in parties]  # type: ignore[union-attr]
            tx.conn.execute(
                insert(purchase),
                [
                    {
                        "source": "test",
                        "order_ref": f"gen:{n}",
                        "line": 1,
                        "party_id": ids[int(p) - 1],
                        "occurred_at": moment(t),
                        "amount": float(a),
                        "product": None,
                        "product_group": None,
                        "quantity": 1.0,
                        "channel": None,
                    }
                    for n, (p, t, a) in enumerate(
                        zip(made.lines_party, made.lines_t, made.lines_amount, strict=True)
                    )
                ],
            )
            h = made.history
            log_interactions(
                tx,
                [
                    build_interaction(
                        {
                            "party_id": ids[int(p) - 1],
                            "channel": "phone",
                            "direction": "outbound",
                            "occurred_at": moment(t).isoformat(),
                        }
                    )
                    for p, t in zip(h.contact_party, h.contact_t, strict=True)
                ],
            )
        signals.extend(
            Signal(
                party_id=ids[int(p) - 1],
                kind="detractor" if d else "complaint",
                occurred_at=moment(t),
            )
            for p, t, d in zip(h.signal_party, h.signal_t, h.signal_detractor, strict=True)
        )
        return GeneratedCrm(crm, ids, now, signals)

    return make


# --- forecasts

RollupMaker = Callable[..., None]


@pytest.fixture
def rollup_cell(crm: Crm) -> RollupMaker:
    """``rollup_cell(metric, day, count=0, amount=0.0, dimension="", territory="", team="",
    owner_id=None)``: one rollup cell, written straight into the table."""
    from crmkit_analytics.rollups.tables import NO_OWNER, rollup
    from sqlalchemy import insert

    def add(metric: str, day: Any, count: int = 0, amount: float = 0.0, **where: Any) -> None:
        owner = where.pop("owner_id", None)
        with crm.transaction() as tx:
            tx.conn.execute(
                insert(rollup).values(
                    metric=metric,
                    day=day,
                    count=count,
                    amount=amount,
                    dimension=where.pop("dimension", ""),
                    territory=where.pop("territory", ""),
                    team=where.pop("team", ""),
                    owner_id=NO_OWNER if owner is None else owner,
                    **where,
                )
            )

    return add


def planning_plugin(targets: list[Any]) -> Any:
    """A throwaway plugin whose analytics source publishes ``targets`` (sales targets and
    marketing plans, as sfa and campaigns do)."""
    from crmkit_analytics import FactSource

    from crmkit import hookimpl
    from crmkit.testing import register_plugin

    def published(conn: Any, start: Any, end: Any) -> list[Any]:
        return [t for t in targets if t.starts_on <= end and t.ends_on >= start]

    class Planner:
        @hookimpl(optionalhook=True)
        def analytics_sources(self) -> list[Any]:
            return [FactSource(name="plans", targets=published)]

    return register_plugin(Planner(), name="planner")


# --- transactions


@pytest.fixture
def buy(crm: Crm) -> Callable[..., int]:
    """``buy(party_id, "2026-03-01", 120.0, order="o1", source="shop", **fields)``: store
    one purchase line through the transactions feed, as a source's event would; the count."""
    from datetime import UTC, datetime

    from crmkit_analytics import Purchase
    from crmkit_analytics.transactions.feed import add_purchases

    def add(
        party_id: int,
        day: str,
        amount: float,
        order: str | None = None,
        source: str = "shop",
        **fields: Any,
    ) -> int:
        moment = datetime.fromisoformat(day)
        if moment.tzinfo is None:
            moment = moment.replace(hour=moment.hour or 12, tzinfo=UTC)
        line = Purchase(
            party_id=party_id,
            occurred_at=moment,
            amount=amount,
            order_ref=order or f"{source}:{party_id}:{day}",
            **fields,
        )
        with crm.transaction() as tx:
            return add_purchases(tx.conn, source, [line])

    return add
