"""Fixtures of the dms plugin's tests: a CRM with dms (and other plugins when asked),
staff, parties.

Each test runs on SQLite by default, on PostgreSQL with ``CRMKIT_TEST_DATABASE_URL``.
``client_as(actor)`` (the kernel's fixture) gives an HTTP client signed on as ``actor``.
Each part's fixtures follow under its own heading.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest
from attrs import frozen

from crmkit import Actor, Crm
from crmkit.testing import Staff as Staff
from crmkit.testing import add_user, crm_maker, served_asgi

CrmMaker = Callable[..., Crm]


@pytest.fixture
def make_dms(make_crm: Callable[..., Crm]) -> CrmMaker:
    """``make_dms(dms={...}, with_plugins=("sfa",), settings={...})``: a CRM with the
    dms plugin, the named plugins and these settings (``settings``: other plugins' tables)."""
    return crm_maker(make_crm, "dms")


@pytest.fixture
def crm(make_dms: CrmMaker) -> Crm:
    """A CRM with the dms plugin alone, default settings, tables created."""
    return make_dms()


PartyMaker = Callable[..., int]


# --- partners


@frozen
class Dealers:
    """Two dealers: ``north`` (VW, Audi in DE-10 and DE-1) and ``south`` (VW in DE-8), each
    with one partner user (``nora`` and ``sven``), and a staff admin."""

    north: int
    south: int
    nora: Actor
    sven: Actor
    admin: Actor


def make_partner(crm: Crm, **data: Any) -> int:
    """A partner written as the system from ``data`` as the API takes it; its id."""
    from crmkit_dms.partners.service import create_partner

    with crm.transaction() as tx:
        return create_partner(tx, data).partner.id


def link_user(crm: Crm, partner_id: int, username: str) -> Actor:
    """A new user of the partner role working for ``partner_id``."""
    from crmkit_dms.partners.service import add_partner_user

    actor = add_user(crm, username, "partner")
    with crm.transaction() as tx:
        add_partner_user(tx, partner_id, {"user_id": actor.user_id})
    return actor


@pytest.fixture
def dealers(crm: Crm) -> Dealers:
    north = make_partner(
        crm,
        code="north",
        name="Autohaus Nord",
        kind="dealer",
        brands=["VW", "Audi"],
        regions=[
            {"country": "DE", "postcode_prefix": "10"},
            {"country": "DE", "postcode_prefix": "1"},
        ],
        capacity_per_day=20,
    )
    south = make_partner(
        crm,
        code="south",
        name="Autohaus Süd",
        kind="dealer",
        brands=["VW"],
        regions=[{"country": "DE", "postcode_prefix": "8"}],
    )
    return Dealers(
        north=north,
        south=south,
        nora=link_user(crm, north, "nora"),
        sven=link_user(crm, south, "sven"),
        admin=add_user(crm, "adam", "admin"),
    )


OfferMaker = Callable[..., int]


@pytest.fixture
def offer(crm: Crm) -> OfferMaker:
    """``offer(party_id, partner_id, state="offered", **columns)``: an assignment row as the
    routing part writes it; its id."""
    from datetime import timedelta

    from crmkit_dms.routing.tables import assignment
    from sqlalchemy import insert

    from crmkit import utcnow

    def make(party_id: int, partner_id: int | None, state: str = "offered", **columns: Any) -> int:
        now = utcnow()
        row = {
            "party_id": party_id,
            "partner_id": partner_id,
            "state": state,
            "source": "api",
            "offered_at": now,
            "accept_by": now + timedelta(days=1),
            "attempt": 1,
            "updated_at": now,
            "version": 1,
            **columns,
        }
        if state in ("declined", "expired", "sold", "lost"):
            row.setdefault("closed_at", now)
        with crm.transaction() as tx:
            return int(
                tx.conn.execute(insert(assignment).returning(assignment.c.id), row).scalar_one()
            )

    return make


# --- routing


@frozen
class Network:
    """Three VW dealers: ``mitte`` and ``spandau`` both cover DE 10xxx (``spandau`` sells Audi
    too, ``mitte`` takes 2 leads a day), ``bayern`` covers DE 8xxxx; one partner user each
    (``mia``, ``sepp``, ``bea``), a routing manager and a sales rep without routing."""

    mitte: int
    spandau: int
    bayern: int
    mia: Actor
    sepp: Actor
    bea: Actor
    router: Actor
    seller: Actor


@pytest.fixture
def network(crm: Crm) -> Network:
    mitte = make_partner(
        crm,
        code="mitte",
        name="Autohaus Mitte",
        kind="dealer",
        brands=["VW"],
        regions=[{"country": "DE", "postcode_prefix": "10"}],
        capacity_per_day=2,
    )
    spandau = make_partner(
        crm,
        code="spandau",
        name="Autohaus Spandau",
        kind="dealer",
        brands=["VW", "Audi"],
        regions=[{"country": "DE", "postcode_prefix": "10"}],
    )
    bayern = make_partner(
        crm,
        code="bayern",
        name="Autohaus Bayern",
        kind="dealer",
        brands=["VW"],
        regions=[{"country": "DE", "postcode_prefix": "8"}],
    )
    return Network(
        mitte=mitte,
        spandau=spandau,
        bayern=bayern,
        mia=link_user(crm, mitte, "mia"),
        sepp=link_user(crm, spandau, "sepp"),
        bea=link_user(crm, bayern, "bea"),
        router=add_user(crm, "rita", "manager", team="leads"),
        seller=add_user(crm, "sid", "sales", team="leads", territories=("DE-10",)),
    )


RouteMaker = Callable[..., Any]


@pytest.fixture
def route(crm: Crm, new_party: PartyMaker) -> RouteMaker:
    """``route(party_id=None, actor=SYSTEM, **facts)``: ``route_lead`` of a lead (a new
    prospect unless given) for a VW in DE 10115 unless told otherwise; the assignment."""
    from crmkit_dms.routing.service import route_lead

    from crmkit import SYSTEM

    def make(party_id: int | None = None, actor: Actor = SYSTEM, **facts: Any) -> Any:
        lead = new_party("prospect") if party_id is None else party_id
        given = {"brand": "VW", "country": "DE", "postcode": "10115", "source": "adf", **facts}
        with crm.transaction(actor) as tx:
            return route_lead(tx, lead, **given)

    return make


# --- formats


@attrs.define
class DealerDms:
    """A dealer's DMS on loopback: keeps each ADF lead posted to it (body and headers) and
    answers 503 while ``failures`` is above zero."""

    url: str = ""
    received: list[tuple[bytes, dict[str, str]]] = attrs.field(factory=list)
    failures: int = 0


@pytest.fixture
def dealer_dms() -> Iterator[DealerDms]:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    dms = DealerDms()

    async def leads(request: Request) -> Response:
        if dms.failures > 0:
            dms.failures -= 1
            return Response("busy", 503)
        dms.received.append((await request.body(), dict(request.headers)))
        return Response("ok", 202)

    app = Starlette(routes=[Route("/leads", leads, methods=["POST"])])
    with served_asgi(app) as url:
        dms.url = f"{url}/leads"
        yield dms


def add_dealer(
    crm: Crm, code: str = "NORD", brands: tuple[str, ...] = ("Volkswagen", "VW", "Skoda")
) -> int:
    """A dealer selling ``brands`` in postcodes DE 10…; its partner id."""
    from crmkit_dms.partners.service import create_partner

    from crmkit import SYSTEM

    with crm.transaction(SYSTEM) as tx:
        made = create_partner(
            tx,
            {
                "code": code,
                "name": f"Autohaus {code.title()}",
                "kind": "dealer",
                "brands": list(brands),
                "regions": [{"country": "DE", "postcode_prefix": "10"}],
            },
        )
    partner_id: int = made.partner.id
    return partner_id
