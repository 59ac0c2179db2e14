"""Fixtures of the loyalty plugin's tests: a CRM with loyalty (and sfa, campaigns or surveys
when asked), staff, parties.

Each test runs on SQLite by default, on PostgreSQL with ``CRMKIT_TEST_DATABASE_URL``.
``client_as(actor)`` (the kernel's fixture) gives an HTTP client signed on as ``actor``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from attrs import frozen

from crmkit import Actor, Crm
from crmkit.testing import Staff as Staff
from crmkit.testing import crm_maker

LoyaltyMaker = Callable[..., Crm]


@pytest.fixture
def make_loyalty(make_crm: Callable[..., Crm]) -> LoyaltyMaker:
    """``make_loyalty(loyalty={...}, with_plugins=("sfa",), settings={...})``: a CRM with the
    loyalty plugin, the named plugins and these settings (``settings``: other plugins' tables)."""
    return crm_maker(make_crm, "loyalty")


@pytest.fixture
def crm(make_loyalty: LoyaltyMaker) -> Crm:
    """A CRM with the loyalty plugin alone, default settings, tables created."""
    return make_loyalty()


PartyMaker = Callable[..., int]


# --- ledger ------------------------------------------------------------------------------------


@frozen
class LedgerProgramme:
    """A programme for the ledger's tests: points expire after 12 months; tiers Member (0),
    Silver (1, 1,000 points) and Gold (2, 5,000); rewards: a voucher (500 points, anyone,
    unlimited), a lounge pass (300 points, Gold only), a mug (200 points, 2 in stock)."""

    id: int
    member_tier: int
    silver_tier: int
    gold_tier: int
    voucher: int
    lounge: int
    mug: int


def add_ledger_programme(
    crm: Crm, name: str = "Ledger Rewards", expire_months: int | None = 12
) -> LedgerProgramme:
    from crmkit_loyalty.programmes.tables import programme, reward, tier
    from sqlalchemy import insert

    from crmkit import utcnow

    now = utcnow()
    stamps = {"created_at": now, "updated_at": now, "version": 1}
    with crm.transaction() as tx:
        programme_id = tx.conn.execute(
            insert(programme)
            .values(
                name=name,
                status="active",
                currency="EUR",
                points_expire_months=expire_months,
                qualification_months=12,
                downgrade="one_step",
                auto_enrol=0,
                **stamps,
            )
            .returning(programme.c.id)
        ).scalar_one()
        tiers = [
            tx.conn.execute(
                insert(tier)
                .values(
                    programme_id=programme_id,
                    name=tier_name,
                    rank=rank,
                    threshold=threshold,
                    multiplier=1,
                    version=1,
                )
                .returning(tier.c.id)
            ).scalar_one()
            for tier_name, rank, threshold in (
                ("Member", 0, 0),
                ("Silver", 1, 1000),
                ("Gold", 2, 5000),
            )
        ]
        rewards = [
            tx.conn.execute(
                insert(reward)
                .values(
                    programme_id=programme_id,
                    name=reward_name,
                    points=points,
                    min_tier_rank=rank,
                    stock=stock,
                    active=1,
                    **stamps,
                )
                .returning(reward.c.id)
            ).scalar_one()
            for reward_name, points, rank, stock in (
                ("Voucher", 500, 0, None),
                ("Lounge pass", 300, 2, None),
                ("Mug", 200, 0, 2),
            )
        ]
    return LedgerProgramme(programme_id, *tiers, *rewards)


@pytest.fixture
def ledger_programme(crm: Crm) -> LedgerProgramme:
    return add_ledger_programme(crm)


class LedgerKit:
    """What the ledger's tests do over and over, on ``crm`` and its ``programme``."""

    def __init__(self, crm: Crm, programme: LedgerProgramme) -> None:
        self.crm = crm
        self.programme = programme

    def member(self, party_id: int, *earnings: int) -> int:
        """The party enrolled, having earned ``earnings`` (references ``e0``, ``e1`` ...)."""
        from crmkit_loyalty.ledger import service

        with self.crm.transaction() as tx:
            made = service.enrol(tx, self.programme.id, party_id)
            for i, points in enumerate(earnings):
                service.earn(tx, made.id, points, source="test", reference=f"e{i}")
        return made.id

    def set_expiry(self, member_id: int, reference: str, expires_at: Any) -> None:
        """As if the earning ``reference`` of the member expired (or expires) at ``expires_at``."""
        from crmkit_loyalty.ledger.tables import entry, lot
        from sqlalchemy import select, update

        with self.crm.transaction() as tx:
            lot_id = tx.conn.execute(
                select(entry.c.id).where(
                    entry.c.member_id == member_id, entry.c.reference == reference
                )
            ).scalar_one()
            tx.conn.execute(
                update(lot).where(lot.c.entry_id == lot_id).values(expires_at=expires_at)
            )

    def remaining(self, member_id: int) -> list[int]:
        """What each of the member's lots has left, oldest first."""
        from crmkit_loyalty.ledger.tables import lot
        from sqlalchemy import select

        with self.crm.read() as conn:
            query = select(lot.c.remaining).where(lot.c.member_id == member_id)
            return list(conn.execute(query.order_by(lot.c.entry_id)).scalars())

    def balance(self, member_id: int) -> int:
        from crmkit_loyalty.ledger import service

        with self.crm.read() as conn:
            return service.get_member(conn, member_id).balance

    def snapshot(self) -> tuple[Any, ...]:
        """Everything a refused change must leave as it was."""
        from crmkit_loyalty.ledger.tables import allocation, entry, lot, member, redemption
        from crmkit_loyalty.programmes.tables import reward
        from sqlalchemy import func, select

        with self.crm.read() as conn:
            counts = tuple(
                conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (entry, allocation, redemption)
            )
            return (
                *counts,
                tuple(conn.execute(select(member.c.balance).order_by(member.c.id)).scalars()),
                tuple(conn.execute(select(lot.c.remaining).order_by(lot.c.entry_id)).scalars()),
                tuple(conn.execute(select(reward.c.stock).order_by(reward.c.id)).scalars()),
            )

    def assert_balances(self) -> None:
        """Every balance and lot agrees with the entries (what ``crmkit loyalty check`` checks)."""
        from crmkit_loyalty.ledger.check import mismatches

        with self.crm.read() as conn:
            assert [str(m) for m in mismatches(conn)] == []


@pytest.fixture
def ledger(crm: Crm, ledger_programme: LedgerProgramme) -> LedgerKit:
    return LedgerKit(crm, ledger_programme)


# --- earning -----------------------------------------------------------------------------------


class Loyalty:
    """The earning tests' arrangements on one CRM: programmes made by the programmes part's
    own service, members, and what the ledger holds."""

    def __init__(self, crm: Crm) -> None:
        self.crm = crm

    def programme(
        self,
        name: str = "Acme Rewards",
        *,
        rules: tuple[dict[str, Any], ...] = (),
        tiers: tuple[dict[str, Any], ...] = (),
        **data: Any,
    ) -> int:
        """A programme (currency EUR unless given) with these rules and tiers beside its
        entry tier; its id."""
        from crmkit_loyalty.programmes.programmes_edit import create_programme
        from crmkit_loyalty.programmes.rules_edit import create_rule
        from crmkit_loyalty.programmes.tiers_edit import create_tier

        with self.crm.transaction() as tx:
            made = create_programme(tx, {"name": name, "currency": "EUR", **data})
            for made_tier in tiers:
                create_tier(tx, made.id, made_tier)
            for made_rule in rules:
                create_rule(tx, made.id, made_rule)
        return made.id

    def enrol(self, programme_id: int, party_id: int) -> int:
        from crmkit_loyalty.ledger.service import enrol

        with self.crm.transaction() as tx:
            return enrol(tx, programme_id, party_id).id

    def put_in_tier(self, member_id: int, tier_name: str) -> None:
        """Move the member straight into the tier of that name."""
        from crmkit_loyalty.ledger.tables import member
        from crmkit_loyalty.programmes.tables import tier
        from sqlalchemy import select, update

        with self.crm.transaction() as tx:
            programme_id = tx.conn.execute(
                select(member.c.programme_id).where(member.c.id == member_id)
            ).scalar_one()
            tier_id = tx.conn.execute(
                select(tier.c.id).where(
                    tier.c.programme_id == programme_id, tier.c.name == tier_name
                )
            ).scalar_one()
            tx.conn.execute(update(member).where(member.c.id == member_id).values(tier_id=tier_id))

    def entries(self, member_id: int) -> list[Any]:
        """The member's ledger entries, oldest first."""
        from crmkit_loyalty.ledger.tables import entry
        from sqlalchemy import select

        with self.crm.read() as conn:
            return list(
                conn.execute(
                    select(entry).where(entry.c.member_id == member_id).order_by(entry.c.id)
                )
            )

    def member(self, programme_id: int, party_id: int) -> Any:
        """The party's member row in the programme, or None."""
        from crmkit_loyalty.ledger.tables import member
        from sqlalchemy import select

        with self.crm.read() as conn:
            return conn.execute(
                select(member).where(
                    member.c.programme_id == programme_id, member.c.party_id == party_id
                )
            ).first()


@pytest.fixture
def loyalty(crm: Crm) -> Loyalty:
    return Loyalty(crm)


class OrderDesk:
    """Places real sfa orders: products FL-200 (group forklifts), PAL (supplies) and BOLT (no
    group) on a EUR and a USD price list; an order is an opportunity, a quotation sent and
    accepted, as the customer accepts it."""

    def __init__(self, crm: Crm, seller: Actor) -> None:
        from datetime import timedelta

        from crmkit_sfa.quotes import catalogue

        from crmkit import utcnow

        self.crm, self.seller = crm, seller
        today = utcnow().date()
        with crm.transaction() as tx:
            for code, group in (("FL-200", "forklifts"), ("PAL", "supplies"), ("BOLT", None)):
                catalogue.create_product(
                    tx, {"code": code, "name": code, "product_group": group, "tax_rate": "19"}
                )
            self.price_lists = {
                currency: catalogue.create_price_list(
                    tx,
                    {
                        "name": f"{currency} list",
                        "currency": currency,
                        "valid_from": str(today - timedelta(days=30)),
                        "valid_to": str(today + timedelta(days=300)),
                        "prices": [
                            {"product_code": "FL-200", "unit_price": "1000.00"},
                            {"product_code": "PAL", "unit_price": "12.50"},
                            {"product_code": "BOLT", "unit_price": "0.35"},
                        ],
                    },
                ).id
                for currency in ("EUR", "USD")
            }

    def place(self, party_id: int, lines: dict[str, str], currency: str = "EUR") -> int:
        """Sell ``lines`` (product code: quantity) to the party; the order's id."""
        from crmkit_sfa.pipeline.service import create_opportunity
        from crmkit_sfa.quotes import orders, quotations

        with self.crm.transaction(self.seller) as tx:
            deal = create_opportunity(tx, {"party_id": party_id, "title": "Order"})
            drafted = quotations.create_quotation(
                tx,
                {
                    "opportunity_id": deal.id,
                    "price_list_id": self.price_lists[currency],
                    "lines": [{"product_code": c, "quantity": q} for c, q in lines.items()],
                },
            )
            quotations.send_quotation(tx, drafted.id)
        with self.crm.transaction(self.seller) as tx:
            return orders.accept_quotation(tx, drafted.id).id


@pytest.fixture
def order_desk(crm: Crm, staff: Staff) -> OrderDesk:
    """Needs a CRM with the sfa plugin (``make_loyalty(with_plugins=("sfa",))``)."""
    return OrderDesk(crm, staff.manager)
