"""The purchase feed: written once whatever replays it, read back in bulk, following its
party through merges, erasure and the privacy export."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
from crmkit_analytics import Purchase
from crmkit_analytics.transactions.feed import add_purchases, remove_source
from crmkit_analytics.transactions.reading import purchase_arrays
from crmkit_analytics.transactions.tables import clv, purchase
from sqlalchemy import func, select

from crmkit import Crm, erase_party, export_party, merge_parties

from .conftest import PartyMaker


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=10, tzinfo=UTC)


def order(party_id: int, ref: str, day: str, *amounts: float) -> list[Purchase]:
    return [
        Purchase(
            party_id=party_id,
            occurred_at=at(day),
            amount=amount,
            order_ref=ref,
            product=f"P{index}",
            product_group="tools",
            channel="web",
        )
        for index, amount in enumerate(amounts)
    ]


def lines(crm: Crm) -> list[tuple[str, str, int, int, float]]:
    with crm.read() as conn:
        rows = conn.execute(
            select(
                purchase.c.source,
                purchase.c.order_ref,
                purchase.c.line,
                purchase.c.party_id,
                purchase.c.amount,
            ).order_by(purchase.c.source, purchase.c.order_ref, purchase.c.line)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_a_replayed_order_is_stored_once_and_a_corrected_one_replaces_it(
    crm: Crm, new_party: PartyMaker
) -> None:
    anna = new_party()
    with crm.transaction() as tx:
        assert add_purchases(tx.conn, "sfa", order(anna, "sfa:order:1", "2026-03-01", 10, 20)) == 2
    with crm.transaction() as tx:  # the same event delivered again
        add_purchases(tx.conn, "sfa", order(anna, "sfa:order:1", "2026-03-01", 10, 20))
    with crm.transaction() as tx:  # another source may use the same reference
        add_purchases(tx.conn, "shop", order(anna, "sfa:order:1", "2026-03-01", 5))
    assert lines(crm) == [
        ("sfa", "sfa:order:1", 1, anna, 10.0),
        ("sfa", "sfa:order:1", 2, anna, 20.0),
        ("shop", "sfa:order:1", 1, anna, 5.0),
    ]
    with crm.transaction() as tx:  # the order corrected: its lines carry the new figures
        add_purchases(tx.conn, "sfa", order(anna, "sfa:order:1", "2026-03-01", 12, 18))
    assert [row[4] for row in lines(crm)] == [12.0, 18.0, 5.0]
    with crm.transaction() as tx:
        assert remove_source(tx.conn, "sfa") == 2
    assert [row[0] for row in lines(crm)] == ["shop"]


def test_many_lines_are_written_in_batches(crm: Crm, new_party: PartyMaker) -> None:
    anna = new_party()
    many = order(anna, "big", "2026-01-05", *([1.5] * 2500))
    with crm.transaction() as tx:
        assert add_purchases(tx.conn, "sfa", many) == 2500
    with crm.read() as conn:
        assert conn.execute(select(func.sum(purchase.c.amount))).scalar() == 3750.0


def test_purchase_arrays_are_sorted_by_party_and_time_and_filtered(
    crm: Crm, new_party: PartyMaker
) -> None:
    anna, ben = new_party(), new_party(first_name="Ben", emails=["ben@example.org"])
    with crm.transaction() as tx:
        add_purchases(tx.conn, "sfa", order(ben, "b2", "2026-02-10", 30))
        add_purchases(tx.conn, "sfa", order(anna, "a2", "2026-02-01", 7, 8))
        add_purchases(tx.conn, "sfa", order(ben, "b1", "2026-01-10", 40))
        add_purchases(tx.conn, "sfa", [Purchase(anna, at("2026-01-02"), 3.0, "a1")])
    with crm.read() as conn:
        everything = purchase_arrays(conn)
        early = purchase_arrays(conn, until=at("2026-02-01"))
        only_ben = purchase_arrays(conn, party_ids=[ben])
    assert everything.party_id.tolist() == [anna, anna, anna, ben, ben]
    assert everything.amount.tolist() == [3.0, 7.0, 8.0, 40.0, 30.0]
    day = (datetime(2026, 1, 2, 10, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()
    assert everything.t[0] == day / 86400
    assert everything.product[0] == -1  # no product named
    assert [everything.products[code] for code in everything.product[1:3]] == ["P0", "P1"]
    assert len(early) == 2 and early.party_id.tolist() == [anna, ben]
    assert only_ben.amount.tolist() == [40.0, 30.0]
    assert np.all(np.diff(everything.t[:3]) >= 0)


def test_purchases_follow_a_merge_and_go_with_an_erased_party(
    crm: Crm, new_party: PartyMaker, buy: Callable[..., int]
) -> None:
    anna = new_party()
    twin = new_party(emails=["anna.l@example.org"])
    other = new_party(first_name="Olga", emails=["olga@example.org"])
    buy(anna, "2026-01-05", 10.0)
    buy(twin, "2026-02-05", 20.0)
    buy(other, "2026-03-05", 30.0)
    now = datetime(2026, 4, 1, tzinfo=UTC)
    with crm.transaction() as tx:
        for party_id in (twin, other):
            tx.conn.execute(
                clv.insert().values(
                    party_id=party_id,
                    frequency=0,
                    recency_days=0.0,
                    age_days=10.0,
                    expected_purchases_90d=0.5,
                    p_alive=1.0,
                    expected_spend=None,
                    clv=12.5,
                    horizon_days=365,
                    fitted_at=now,
                )
            )
    with crm.transaction() as tx:
        merge_parties(tx, anna, twin)
    with crm.read() as conn:
        exported = export_party(conn, crm.host, anna)["analytics"]
        assert conn.execute(select(clv.c.party_id)).scalars().all() == [other]
    assert [p["amount"] for p in exported["purchases"]] == [10.0, 20.0]
    assert exported["purchases"][0]["occurred_at"].startswith("2026-01-05")
    with crm.read() as conn:
        value = export_party(conn, crm.host, other)["analytics"]["value"]
    assert value["clv"] == 12.5
    with crm.transaction() as tx:
        erase_party(tx, other)
    assert [row[3] for row in lines(crm)] == [anna, anna]
    with crm.read() as conn:
        assert conn.execute(select(func.count()).select_from(clv)).scalar() == 0
