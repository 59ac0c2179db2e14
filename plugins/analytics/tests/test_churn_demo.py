"""The demo computes profiles and churn risk last, from the purchases the sources' demo data
gives."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from crmkit_analytics.churn.tables import risk
from crmkit_analytics.profiles.tables import profile
from crmkit_analytics.sources import FactSource, Purchase
from sqlalchemy import func, select

from crmkit import Crm, hookimpl, party_table, utcnow
from crmkit.testing import register_plugin, seed_demo_data

from .conftest import CrmMaker

NOW = utcnow()


class Shop:
    """A source whose demo purchases are three orders of each demo customer."""

    @hookimpl
    def analytics_sources(self) -> list[Any]:
        def purchases(conn: Any) -> list[Purchase]:
            customers = conn.scalars(
                select(party_table.c.id).where(party_table.c.role == "customer")
            ).all()
            return [
                Purchase(
                    party_id=party_id,
                    occurred_at=NOW - timedelta(days=(party_id * 7 + 30 * k) % 400),
                    amount=20.0 + party_id % 50,
                    order_ref=f"shop:{party_id}:{k}",
                    product_group="garden",
                    channel="shop",
                )
                for party_id in customers
                for k in range(3)
            ]

        return [FactSource(name="shop", rebuild_purchases=purchases)]


def count(crm: Crm, table: Any) -> int:
    with crm.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_demo_profiles_and_scores_every_customer_who_bought(make_analytics: CrmMaker) -> None:
    crm = make_analytics(plugins=(register_plugin(Shop(), name="shop"),))
    seed_demo_data(crm, customers=30, prospects=5, now=NOW)
    customers = 30
    assert count(crm, profile) == customers
    assert count(crm, risk) == customers


def test_demo_without_purchases_profiles_nobody(crm: Crm) -> None:
    seed_demo_data(crm, customers=30, prospects=5, now=NOW)
    assert count(crm, profile) == count(crm, risk) == 0
