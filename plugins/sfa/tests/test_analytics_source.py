"""The sfa source of the analytics plugin: the pipeline by stage, weighted by close day, won
and lost deals, orders (and their lines as purchases), targets; kept from events and the
catch-up, equal to a rebuild."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from crmkit_analytics.rollups import feed
from crmkit_analytics.rollups.reading import metrics, totals
from crmkit_analytics.rollups.tables import rollup
from crmkit_sfa.pipeline.service import (
    change_stage,
    create_opportunity,
    mark_lost,
    mark_won,
    update_opportunity,
)
from crmkit_sfa.planning.targets import create_target
from crmkit_sfa.quotes import catalogue, orders, quotations
from sqlalchemy import select

from crmkit import Crm, merge_parties, utcnow

if TYPE_CHECKING:
    from conftest import PartyMaker, SalesTeam

TODAY = utcnow().date()
FAR = (date(2000, 1, 1), date(2100, 1, 1))


@pytest.fixture
def crm(make_crm: Callable[..., Crm]) -> Crm:
    """sfa with analytics beside it."""
    return make_crm(plugins=["sfa", "analytics"])


def cells(crm: Crm) -> dict[tuple[Any, ...], tuple[int, float]]:
    with crm.read() as conn:
        rows = conn.execute(select(rollup).where(rollup.c.metric.startswith("sfa.")))
        return {
            (r.metric, r.day, r.dimension, r.territory, r.team, r.owner_id): (
                int(r.count),
                round(float(r.amount), 4),
            )
            for r in rows
            if r.count or abs(r.amount) > 1e-9
        }


def by(crm: Crm, metric: str, *groups: str, **filters: Any) -> list[tuple[Any, ...]]:
    with crm.read() as conn:
        rows = totals(conn, metric, *FAR, group_by=groups, **filters)
    return [(*(getattr(r, g) for g in groups), r.count, round(float(r.amount), 2)) for r in rows]


def deal(crm: Crm, team: SalesTeam, party_id: int, amount: str, **data: Any) -> int:
    with crm.transaction(team.seller) as tx:
        return create_opportunity(
            tx, {"party_id": party_id, "title": "Forklifts", "amount": amount, **data}
        ).id


def test_the_pipeline_follows_stage_changes_wins_and_losses(
    crm: Crm, team: SalesTeam, new_party: PartyMaker
) -> None:
    party = new_party(owner_id=team.seller.user_id)
    close = TODAY + timedelta(days=20)
    first = deal(crm, team, party, "1000", expected_close=str(close))
    second = deal(crm, team, party, "500")
    third = deal(crm, team, party, "200")
    feed.catch_up(crm)  # created without an event: the catch-up finds them
    assert by(crm, "sfa.pipeline", "dimension") == [("sales/initiation", 3, 1700.0)]
    assert by(crm, "sfa.pipeline", "day") == [(TODAY, 2, 700.0), (close, 1, 1000.0)]

    with crm.transaction(team.seller) as tx:
        change_stage(tx, first, "identification")
        mark_won(tx, second)
        mark_lost(tx, third, "price")
    assert by(crm, "sfa.pipeline", "dimension") == [("sales/identification", 1, 1000.0)]
    assert by(crm, "sfa.weighted", "dimension") == [("sales/identification", 1, 200.0)]
    assert by(crm, "sfa.won", "day", "owner_id", "team") == [
        (TODAY, team.seller.user_id, "north", 1, 500.0)
    ]
    assert by(crm, "sfa.lost", "dimension") == [("price", 1, 200.0)]
    assert by(crm, "sfa.created", "day") == [(TODAY, 3, 1700.0)]
    # The deal's territory is its party's: a DE-10 manager's filter sees it, FR's does not.
    assert by(crm, "sfa.won", territories=["DE-10"]) == [(1, 500.0)]
    assert by(crm, "sfa.won", territories=["FR"]) == [(0, 0.0)]

    before = cells(crm)
    feed.rebuild(crm, "sfa")
    assert cells(crm) == before


def test_an_edited_amount_is_caught_up_and_counted_once(
    crm: Crm, team: SalesTeam, new_party: PartyMaker
) -> None:
    opp = deal(crm, team, new_party(owner_id=team.seller.user_id), "100")
    feed.catch_up(crm)
    with crm.transaction(team.seller) as tx:
        update_opportunity(tx, opp, {"amount": "250"})
    feed.catch_up(crm)
    feed.catch_up(crm)  # the window overlaps: refreshing again changes nothing
    assert by(crm, "sfa.pipeline") == [(1, 250.0)]


def test_a_merged_party_takes_its_deals_figures_along(
    crm: Crm, team: SalesTeam, new_party: PartyMaker
) -> None:
    gone = new_party(owner_id=team.outsider.user_id, organisation_name="Acme Dup")
    kept = new_party(owner_id=team.seller.user_id)
    opp = deal(crm, team, gone, "300", owner_id=team.outsider.user_id)
    feed.catch_up(crm)
    assert by(crm, "sfa.pipeline", "owner_id") == [(team.outsider.user_id, 1, 300.0)]
    with crm.transaction() as tx:
        merge_parties(tx, kept, gone)
    # The deal keeps its own owner; its party is now the survivor: nothing double counted.
    assert by(crm, "sfa.pipeline") == [(1, 300.0)]
    with crm.read() as conn:
        from crmkit_analytics.rollups.tables import contribution

        party_of = conn.execute(
            select(contribution.c.party_id).where(contribution.c.key == f"opp:{opp}")
        ).scalar_one()
    assert party_of == kept


@pytest.fixture
def price_list_id(crm: Crm) -> int:
    with crm.transaction() as tx:
        catalogue.create_product(
            tx,
            {"code": "FL-200", "name": "Forklift", "product_group": "forklifts", "tax_rate": "19"},
        )
        catalogue.create_product(
            tx,
            {
                "code": "PAL",
                "name": "Pallet",
                "product_group": "supplies",
                "unit": "pc",
                "tax_rate": "7",
            },
        )
        prices = catalogue.create_price_list(
            tx,
            {
                "name": "list",
                "currency": "EUR",
                "prices": [
                    {"product_code": "FL-200", "unit_price": "20000"},
                    {"product_code": "PAL", "unit_price": "10"},
                ],
            },
        )
    return prices.id


def test_a_placed_order_fills_orders_and_its_lines_become_purchases(
    crm: Crm, team: SalesTeam, new_party: PartyMaker, price_list_id: int
) -> None:
    party = new_party(owner_id=team.seller.user_id)
    opp = deal(crm, team, party, "20100")
    with crm.transaction(team.seller) as tx:
        drafted = quotations.create_quotation(
            tx,
            {
                "opportunity_id": opp,
                "price_list_id": price_list_id,
                "lines": [
                    {"product_code": "FL-200", "quantity": "1"},
                    {"product_code": "PAL", "quantity": "10"},
                ],
            },
        )
        quotations.send_quotation(tx, drafted.id)
    with crm.transaction(team.seller) as tx:
        placed = orders.accept_quotation(tx, drafted.id)
    assert by(crm, "sfa.orders", "day", "owner_id") == [(TODAY, team.seller.user_id, 1, 20100.0)]
    from crmkit_analytics.transactions.tables import purchase

    def stored() -> list[tuple[Any, ...]]:
        with crm.read() as conn:
            rows = conn.execute(
                select(purchase).where(purchase.c.source == "sfa").order_by(purchase.c.line)
            )
            return [(r.order_ref, r.party_id, r.product, r.product_group, r.amount) for r in rows]

    lines = [
        (f"sfa:order:{placed.id}", party, "FL-200", "forklifts", 20000.0),
        (f"sfa:order:{placed.id}", party, "PAL", "supplies", 100.0),
    ]
    assert stored() == lines
    before = cells(crm)
    feed.rebuild(crm, "sfa")
    assert stored() == lines
    assert cells(crm) == before


def test_targets_are_published_for_the_periods_asked(crm: Crm, team: SalesTeam) -> None:
    month = TODAY.replace(day=1)
    with crm.transaction() as tx:
        create_target(
            tx,
            {
                "scope": "team",
                "scope_key": "north",
                "period": month.strftime("%Y-%m"),
                "measure": "amount",
                "value": "50000",
                "currency": "EUR",
            },
        )
    source, _ = metrics(crm)["sfa.orders"]
    assert source.targets is not None
    with crm.read() as conn:
        found = list(source.targets(conn, month, month + timedelta(days=3)))
        none = list(source.targets(conn, month - timedelta(days=90), month - timedelta(days=40)))
    assert [(t.metric, t.starts_on, t.amount, t.team, t.measure) for t in found] == [
        ("sfa.orders", month, 50000.0, "north", "amount")
    ]
    assert found[0].ends_on.month == month.month and (found[0].ends_on + timedelta(days=1)).day == 1
    assert none == []


def test_drill_links_go_to_the_filtered_opportunity_list(crm: Crm) -> None:
    _, metric = metrics(crm)["sfa.pipeline"]
    assert metric.drill is not None
    assert metric.drill(dimension="sales/initiation", owner_id=7) == (
        "/p/sfa/opportunities?status=open&pipeline=sales&stage=initiation&owner_id=7"
    )
