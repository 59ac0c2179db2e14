"""The loyalty source of the analytics plugin: points earned and members enrolled, from the
ledger's events exactly once and equal to a rebuild; earnings carrying an amount as
purchases."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from crmkit_analytics.rollups import feed
from crmkit_analytics.rollups.reading import metrics, totals
from crmkit_analytics.rollups.tables import rollup
from crmkit_analytics.transactions.tables import purchase
from crmkit_loyalty.ledger import service
from sqlalchemy import select

from crmkit import Crm, utcnow

FAR = (date(2000, 1, 1), date(2100, 1, 1))


@pytest.fixture
def crm(make_loyalty: Any) -> Crm:
    """loyalty with analytics beside it."""
    return make_loyalty(plugins=("analytics",))


def by(crm: Crm, metric: str, *groups: str) -> list[tuple[Any, ...]]:
    with crm.read() as conn:
        rows = totals(conn, metric, *FAR, group_by=groups)
    return [(*(getattr(r, g) for g in groups), r.count, float(r.amount)) for r in rows]


def cells(crm: Crm) -> dict[tuple[Any, ...], tuple[int, float]]:
    with crm.read() as conn:
        rows = conn.execute(select(rollup).where(rollup.c.metric.startswith("loyalty.")))
        return {
            (r.metric, r.day, r.dimension, r.territory, r.owner_id): (int(r.count), r.amount)
            for r in rows
            if r.count
        }


def test_points_and_enrolments_fill_the_rollups_once(
    crm: Crm, ledger_programme: Any, new_party: Any, staff: Any
) -> None:
    ada = new_party(owner_id=staff.manager.user_id)
    with crm.transaction() as tx:
        made = service.enrol(tx, ledger_programme.id, ada)
        service.earn(
            tx,
            made.id,
            120,
            source="pos",
            reference="r1",
            details={"amount": "42.50", "product": "Coffee", "product_group": "drinks"},
        )
        service.earn(tx, made.id, 30, source="referral", reference="r2")
    today = utcnow().date()
    assert by(crm, "loyalty.earned", "dimension", "owner_id") == [
        ("pos", staff.manager.user_id, 1, 120.0),
        ("referral", staff.manager.user_id, 1, 30.0),
    ]
    assert by(crm, "loyalty.enrolled", "day") == [(today, 1, 0.0)]
    with crm.read() as conn:
        bought = conn.execute(select(purchase).where(purchase.c.source == "loyalty")).all()
    assert [(p.party_id, p.amount, p.product, p.product_group, p.channel) for p in bought] == [
        (ada, 42.5, "Coffee", "drinks", "loyalty")
    ]

    before = cells(crm)
    feed.rebuild(crm, "loyalty")
    assert cells(crm) == before
    with crm.read() as conn:
        assert len(conn.execute(select(purchase).where(purchase.c.source == "loyalty")).all()) == 1

    # After the rebuild, new events add to it as they would have alone.
    with crm.transaction() as tx:
        service.earn(tx, made.id, 5, source="referral", reference="r3")
    assert by(crm, "loyalty.earned", "dimension") == [("pos", 1, 120.0), ("referral", 2, 35.0)]


def test_the_source_names_its_metrics(crm: Crm) -> None:
    source, metric = metrics(crm)["loyalty.earned"]
    assert source.name == "loyalty" and metric.drill is not None
    assert metric.drill() == "/p/loyalty/page/members"
