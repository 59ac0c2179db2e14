"""Fixtures of the SFA plugin's tests: a CRM with the plugin, its users and parties, requests as a user.

Each test runs on SQLite by default, on PostgreSQL with ``CRMKIT_TEST_DATABASE_URL``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from attrs import frozen
from crmkit_sfa.pipeline.tables import activity, opportunity
from crmkit_sfa.quotes.tables import order, order_line, product, quotation
from sqlalchemy import insert

from crmkit import (
    Actor,
    Crm,
    PluginInfo,
    build_party,
    create_party,
    hookimpl,
    utcnow,
)
from crmkit.testing import add_user, register_plugin


@pytest.fixture
def crm(make_crm: Callable[..., Crm]) -> Crm:
    """A CRM with the sfa plugin enabled (and nothing else), tables created."""
    return make_crm(plugins=["sfa"])


@frozen
class SalesTeam:
    """A manager, two salespeople of the manager's team (one working territory DE-10), an outsider."""

    manager: Actor
    seller: Actor
    territory_seller: Actor
    outsider: Actor


@pytest.fixture
def team(crm: Crm) -> SalesTeam:
    manager = add_user(crm, "mona", "manager", team="north")
    assert manager.user_id is not None
    return SalesTeam(
        manager=manager,
        seller=add_user(crm, "sam", "sales", team="north", manager_id=manager.user_id),
        territory_seller=add_user(
            crm, "tara", "sales", team="north", manager_id=manager.user_id, territories=("DE-10",)
        ),
        outsider=add_user(crm, "otto", "sales", team="south"),
    )


UserMaker = Callable[..., Actor]


PartyMaker = Callable[..., int]


@pytest.fixture
def new_party(crm: Crm) -> PartyMaker:
    """``new_party(role="prospect", owner_id=None, **data)``: a party in Berlin (territory DE-10), its id."""
    return lambda role="prospect", owner_id=None, **data: add_party(crm, role, owner_id, **data)


def add_party(crm: Crm, role: str, owner_id: int | None, **data: Any) -> int:
    data.setdefault("kind", "organisation")
    data.setdefault("organisation_name", "Acme GmbH")
    data.setdefault(
        "addresses",
        [{"street": "Unter den Linden 1", "postcode": "10117", "city": "Berlin", "country": "DE"}],
    )
    with crm.transaction() as tx:
        party = create_party(tx, build_party(role, {**data, "owner_id": owner_id}, region="DE"))
    assert party.id is not None
    return party.id


def acting_as(actor: Actor) -> PluginInfo:
    """A throwaway plugin that authenticates every HTTP request as ``actor``."""

    class SingleSignOn:
        @hookimpl
        def actor_from_request(self, app: Crm, request: Any) -> Actor:
            return actor

    return register_plugin(SingleSignOn(), name="signon")


@pytest.fixture
def crm_as(crm: Crm, make_crm: Callable[..., Crm]) -> Callable[[Actor], Crm]:
    """``crm_as(actor)``: the same database as ``crm``, its HTTP requests made as ``actor``."""
    return lambda actor: make_crm(plugins=["sfa", acting_as(actor)], create_tables=False)


class SalesRows:
    """Opportunities, activities and orders written straight into their tables.

    For tests of what reads them (alerts, targets, forecasts): each row is
    exactly as given, whatever today's date, without the rules of the services
    that normally write them.
    """

    def __init__(self, crm: Crm) -> None:
        self.crm = crm
        self.party_id = add_party(crm, "prospect", None)

    def opportunity(
        self, owner_id: int | None, amount: str | None = "1000.00", **values: Any
    ) -> int:
        now = utcnow()
        row = {
            "party_id": self.party_id,
            "pipeline": "sales",
            "stage": "qualification",
            "status": "open",
            "title": "Deal",
            "amount": None if amount is None else Decimal(amount),
            "currency": "EUR",
            "probability": 50,
            "expected_close": now.date(),
            "owner_id": owner_id,
            "products": [],
            "contacts": [],
            "milestones": [],
            "stage_entered_at": now,
            "custom": {},
            "version": 1,
            "created_at": now,
            "updated_at": now,
            **values,
        }
        with self.crm.transaction() as tx:
            return tx.conn.execute(
                insert(opportunity).values(row).returning(opportunity.c.id)
            ).scalar_one()

    def activity(self, owner_id: int | None, due_at: datetime, **values: Any) -> int:
        now = utcnow()
        row = {
            "party_id": self.party_id,
            "kind": "call",
            "subject": "Call back",
            "owner_id": owner_id,
            "due_at": due_at,
            "status": "planned",
            "version": 1,
            "created_at": now,
            "updated_at": now,
            **values,
        }
        with self.crm.transaction() as tx:
            return tx.conn.execute(
                insert(activity).values(row).returning(activity.c.id)
            ).scalar_one()

    def order(
        self,
        owner_id: int | None,
        placed_at: datetime,
        lines: dict[str, str],
        *,
        currency: str = "EUR",
        opportunity_id: int | None = None,
    ) -> int:
        """An order placed at ``placed_at`` with one line per product group: ``{group: net}``."""
        now = utcnow()
        opportunity_id = opportunity_id or self.opportunity(
            owner_id, status="won", probability=100, closed_at=placed_at
        )
        net = sum((Decimal(v) for v in lines.values()), Decimal(0))
        totals = {
            "currency": currency,
            "total_net": net,
            "total_tax": Decimal(0),
            "total_gross": net,
        }
        with self.crm.transaction() as tx:
            quotation_id = tx.conn.execute(
                insert(quotation)
                .values(
                    version=1,
                    opportunity_id=opportunity_id,
                    party_id=self.party_id,
                    owner_id=owner_id,
                    status="accepted",
                    valid_until=now.date(),
                    created_at=now,
                    updated_at=now,
                    **totals,
                )
                .returning(quotation.c.id)
            ).scalar_one()
            order_id = tx.conn.execute(
                insert(order)
                .values(
                    number=f"SO-{quotation_id}",
                    quotation_id=quotation_id,
                    opportunity_id=opportunity_id,
                    party_id=self.party_id,
                    owner_id=owner_id,
                    placed_at=placed_at,
                    **totals,
                )
                .returning(order.c.id)
            ).scalar_one()
            for position, (group, amount) in enumerate(lines.items(), 1):
                product_id = tx.conn.execute(
                    insert(product)
                    .values(
                        code=f"P-{order_id}-{position}",
                        name=group,
                        product_group=group,
                        unit="pc",
                        tax_rate=Decimal(0),
                        active=True,
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(product.c.id)
                ).scalar_one()
                tx.conn.execute(
                    insert(order_line).values(
                        order_id=order_id,
                        position=position,
                        product_id=product_id,
                        product_code=f"P-{order_id}-{position}",
                        product_group=group,
                        description=group,
                        quantity=Decimal(1),
                        unit="pc",
                        unit_price=Decimal(amount),
                        discount=Decimal(0),
                        tax_rate=Decimal(0),
                        net=Decimal(amount),
                        tax=Decimal(0),
                        gross=Decimal(amount),
                    )
                )
        return order_id


@pytest.fixture
def rows(crm: Crm) -> SalesRows:
    """Write opportunities, activities and orders of one party straight into the tables."""
    return SalesRows(crm)


@pytest.fixture
def rows_in() -> Callable[[Crm], SalesRows]:
    """``rows_in(app)``: as ``rows``, in another app's database (one not made by ``crm``)."""
    return SalesRows
