"""Fixtures of the erp_sap plugin's tests: a CRM with erp_sap (and other plugins when asked),
staff, parties.

Each test runs on SQLite by default, on PostgreSQL with ``CRMKIT_TEST_DATABASE_URL``.
``client_as(actor)`` (the kernel's fixture) gives an HTTP client signed on as ``actor``.
Tests of a loopback SAP server need the real SAP samples beside the checkout; where they
are not, those tests are skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from crmkit_erp_sap.testing.edmx import edmx_path

from crmkit import Actor, Crm, CustomField, hookimpl
from crmkit.testing import Staff as Staff
from crmkit.testing import add_party, add_user, crm_maker, register_plugin

CrmMaker = Callable[..., Crm]


SAMPLE_FIXTURES = frozenset({"sap", "sap_partners", "pulling", "edmx"})
"""Fixtures of a loopback SAP server, which serves the real EDMX and makes partners by it."""
SAMPLE_MODULES = frozenset({"test_connection_server.py", "test_connection_restart.py"})
"""Tests of the loopback server and its partners themselves."""
SAMPLE_TESTS = frozenset({"test_the_dates_and_times_of_a_real_sap_answer"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip what needs the real SAP samples (``shared/data/sap_odata`` beside the checkout,
    not shipped) where they are not, as the other plugins' tests of shared data do."""
    if edmx_path().is_file():
        return
    here = Path(__file__).parent
    skip = pytest.mark.skip(reason="shared/data is not here: the real SAP samples")
    for item in items:
        if here not in item.path.parents:
            continue
        uses = set(getattr(item, "fixturenames", ()))
        named = item.name.split("[")[0] in SAMPLE_TESTS or item.path.name in SAMPLE_MODULES
        if SAMPLE_FIXTURES & uses or named:
            item.add_marker(skip)


@pytest.fixture
def make_erp_sap(make_crm: Callable[..., Crm]) -> CrmMaker:
    """``make_erp_sap(erp_sap={...}, with_plugins=("sfa",), settings={...})``: a CRM with the
    erp_sap plugin, the named plugins and these settings (``settings``: other plugins' tables)."""
    return crm_maker(make_crm, "erp_sap")


@pytest.fixture
def crm(make_erp_sap: CrmMaker) -> Crm:
    """A CRM with the erp_sap plugin alone, default settings, tables created."""
    return make_erp_sap()


PartyMaker = Callable[..., int]


# --- connection


@pytest.fixture
def sap() -> Iterator[Any]:
    """The loopback SAP server serving 40 generated partners (seed 7), at most 15 per answer."""
    from crmkit_erp_sap.testing import BusinessPartners, SapServer

    with SapServer(BusinessPartners(seed=7, count=40, server_page=15)) as server:
        yield server


# --- partners


@pytest.fixture
def sap_partners() -> Iterator[Any]:
    """The loopback SAP server serving 50 generated partners, at most 20 per answer."""
    from crmkit_erp_sap.testing import BusinessPartners, SapServer

    with SapServer(BusinessPartners(seed=7, count=50, server_page=20)) as sap:
        yield sap


class SapChecks:
    """A throwaway plugin declaring the customer field ``erp_test_checked_by`` that the
    partners tests map ``YY1_AddrLastCheckedBy_bus`` to."""

    @hookimpl
    def register_custom_fields(self) -> list[CustomField]:
        return [CustomField("customer", "erp_test_checked_by", "text", max_length=40)]


@pytest.fixture
def pulling(make_erp_sap: CrmMaker, sap_partners: Any) -> Crm:
    """A CRM pulling ``sap_partners`` as system S4P, 15 partners a page, extension field
    ``YY1_AddrLastCheckedBy_bus`` into custom field ``erp_test_checked_by``."""
    system = sap_partners.system_settings(page_size=15, max_retries=3)
    return make_erp_sap(
        {
            "connection": {"systems": {"S4P": system}},
            "partners": {"custom_fields": {"YY1_AddrLastCheckedBy_bus": "erp_test_checked_by"}},
        },
        plugins=(register_plugin(SapChecks(), name="erp_test"),),
    )


# --- orders


class OrderDesk:
    """A real SAP loopback server with the sales-order service, and a CRM with sfa sending
    orders to it: products FL-200 and PAL on a EUR price list; ``place(party)`` sells them
    (an opportunity, a quotation sent and accepted); ``customer(number)`` a party that is
    SAP business partner ``number`` of system S4P."""

    def __init__(self, crm: Crm, seller: Actor, sap: Any, sales_orders: Any) -> None:
        from datetime import timedelta

        from crmkit_sfa.quotes import catalogue

        from crmkit import utcnow

        self.crm, self.seller, self.sap, self.sales_orders = crm, seller, sap, sales_orders
        today = utcnow().date()
        with crm.transaction() as tx:
            for code in ("FL-200", "PAL"):
                catalogue.create_product(
                    tx, {"code": code, "name": f"{code} item", "tax_rate": "19"}
                )
            self.price_list = catalogue.create_price_list(
                tx,
                {
                    "name": "EUR list",
                    "currency": "EUR",
                    "valid_from": str(today - timedelta(days=30)),
                    "valid_to": str(today + timedelta(days=300)),
                    "prices": [
                        {"product_code": "FL-200", "unit_price": "1000.00"},
                        {"product_code": "PAL", "unit_price": "12.50"},
                    ],
                },
            ).id

    def customer(self, number: str | None = "1000042", **data: Any) -> int:
        from crmkit import link_external_id

        party_id = add_party(self.crm, "customer", **data)
        if number is not None:
            with self.crm.transaction() as tx:
                link_external_id(tx, party_id, "sap.s4p", number)
        return party_id

    def push(self, order_id: int) -> Any:
        """The order's push (an ``OrderPush``)."""
        from crmkit_erp_sap.orders.pushes import load_push
        from crmkit_erp_sap.orders.tables import order_push
        from sqlalchemy import select

        with self.crm.read() as conn:
            found = select(order_push.c.id).where(order_push.c.order_id == order_id)
            return load_push(conn, conn.execute(found).scalar_one())

    def number(self, order_id: int) -> str:
        """The sfa order's number: the reference SAP gets."""
        from crmkit_sfa.quotes.orders import get_order

        with self.crm.read() as conn:
            return get_order(conn, order_id).number

    def in_sap(self, order_id: int) -> list[dict[str, Any]]:
        """The SAP sales orders made of the sfa order."""
        return self.sales_orders.by_reference(self.number(order_id))

    def batch_calls(self) -> int:
        return sum(1 for method, path in self.sap.calls if method == "POST" and "$batch" in path)

    def place(self, party_id: int, lines: dict[str, str] | None = None) -> int:
        """Sell ``lines`` (product code: quantity) to the party; the sfa order's id."""
        from crmkit_sfa.pipeline.service import create_opportunity
        from crmkit_sfa.quotes import orders, quotations

        lines = lines or {"FL-200": "2", "PAL": "10"}
        with self.crm.transaction(self.seller) as tx:
            deal = create_opportunity(tx, {"party_id": party_id, "title": "Forklifts"})
            drafted = quotations.create_quotation(
                tx,
                {
                    "opportunity_id": deal.id,
                    "price_list_id": self.price_list,
                    "lines": [{"product_code": c, "quantity": q} for c, q in lines.items()],
                },
            )
            quotations.send_quotation(tx, drafted.id)
        with self.crm.transaction(self.seller) as tx:
            return orders.accept_quotation(tx, drafted.id).id


@pytest.fixture
def sap_orders() -> Any:
    """The loopback SAP server with ``API_SALES_ORDER_SRV`` mounted (``.sales_orders``)."""
    from crmkit_erp_sap.testing import SapServer
    from crmkit_erp_sap.testing.sales_orders import SERVICE, SalesOrders

    sales_orders = SalesOrders(customers=("1000042", "1000043"), materials=("FL-200", "PAL"))
    with SapServer() as sap:
        sap.mount(SERVICE, sales_orders)
        sap.sales_orders = sales_orders  # type: ignore[attr-defined]
        yield sap


@pytest.fixture
def order_desk(make_erp_sap: CrmMaker, sap_orders: Any) -> OrderDesk:
    """A CRM with sfa and erp_sap sending orders to the loopback server (system S4P)."""
    crm = make_erp_sap(
        {"connection": {"systems": {"S4P": sap_orders.system_settings(max_retries=1)}}},
        with_plugins=("sfa",),
    )
    seller = add_user(crm, "sofia", "manager", team="north", territories=("DE-10",))
    return OrderDesk(crm, seller, sap_orders, sap_orders.sales_orders)


# --- idoc


class IdocFiles:
    """IDoc XML files as SAP writes them (layout of docs/idoc.md), dropped into ``inbox``."""

    def __init__(self, inbox: Any) -> None:
        self.inbox = inbox

    @staticmethod
    def control(docnum: str, idoc_type: str, message_type: str) -> str:
        return (
            '<EDI_DC40 SEGMENT="1"><TABNAM>EDI_DC40</TABNAM><MANDT>100</MANDT>'
            f"<DOCNUM>{docnum}</DOCNUM><DOCREL>750</DOCREL><STATUS>30</STATUS>"
            f"<DIRECT>1</DIRECT><OUTMOD>2</OUTMOD><IDOCTYP>{idoc_type}</IDOCTYP>"
            f"<MESTYP>{message_type}</MESTYP><SNDPOR>SAPS4P</SNDPOR><SNDPRT>LS</SNDPRT>"
            "<SNDPRN>S4PCLNT100</SNDPRN><RCVPOR>CRMKIT</RCVPOR><RCVPRT>LS</RCVPRT>"
            "<RCVPRN>CRMKIT</RCVPRN><CREDAT>20261205</CREDAT><CRETIM>143005</CRETIM>"
            "<SERIAL>20261205143005</SERIAL></EDI_DC40>"
        )

    def customer(
        self,
        docnum: str,
        number: str = "0000100042",
        *,
        name: str = "Nordlicht Logistik GmbH",
        country: str = "DE",
        msgfn: str = "005",
        title: str = "Firma",
        name2: str = "",
    ) -> str:
        """One DEBMAS07 IDoc of a customer in Hamburg with a sales area."""
        return (
            '<IDOC BEGIN="1">'
            + self.control(docnum, "DEBMAS07", "DEBMAS")
            + f'<E1KNA1M SEGMENT="1"><MSGFN>{msgfn}</MSGFN><KUNNR>{number}</KUNNR>'
            f"<KTOKD>KUNA</KTOKD><ANRED>{title}</ANRED><LAND1>{country}</LAND1>"
            f"<NAME1>{name}</NAME1><NAME2>{name2}</NAME2><ORT01>Hamburg</ORT01>"
            "<PSTLZ>20095</PSTLZ><REGIO>02</REGIO><STRAS>Spitalerstrasse 12</STRAS>"
            "<TELF1>+49 40 1234567</TELF1><SPRAS>D</SPRAS><STCEG/>"
            '<E1KNVVM SEGMENT="1"><MSGFN>005</MSGFN><VKORG>1010</VKORG><VTWEG>10</VTWEG>'
            "<SPART>00</SPART><WAERS>EUR</WAERS></E1KNVVM>"
            '<E1KNB1M SEGMENT="1"><BUKRS>1010</BUKRS><AKONT>0012100000</AKONT></E1KNB1M>'
            "</E1KNA1M></IDOC>"
        )

    def order(
        self,
        docnum: str,
        sap_number: str = "0000004711",
        *,
        our_reference: str = "",
        sold_to: str = "0000100042",
        message_type: str = "ORDRSP",
    ) -> str:
        """One ORDERS05 IDoc SAP sends: its order ``sap_number`` for ``sold_to``, two items."""
        reference = (
            f'<E1EDK02 SEGMENT="1"><QUALF>001</QUALF><BELNR>{our_reference}</BELNR>'
            "<DATUM>20261204</DATUM></E1EDK02>"
            if our_reference
            else ""
        )
        return (
            '<IDOC BEGIN="1">'
            + self.control(docnum, "ORDERS05", message_type)
            + f'<E1EDK01 SEGMENT="1"><ACTION>000</ACTION><CURCY>EUR</CURCY><BELNR>{sap_number}'
            "</BELNR></E1EDK01>"
            '<E1EDK14 SEGMENT="1"><QUALF>008</QUALF><ORGID>1010</ORGID></E1EDK14>'
            '<E1EDK03 SEGMENT="1"><IDDAT>012</IDDAT><DATUM>20261205</DATUM></E1EDK03>'
            f'<E1EDKA1 SEGMENT="1"><PARVW>AG</PARVW><PARTN>{sold_to}</PARTN>'
            "<NAME1>Nordlicht Logistik GmbH</NAME1><ORT01>Hamburg</ORT01></E1EDKA1>"
            + reference
            + '<E1EDP01 SEGMENT="1"><POSEX>000010</POSEX><MENGE>2.000</MENGE><MENEE>PCE</MENEE>'
            '<NETWR>2000.00</NETWR><E1EDP19 SEGMENT="1"><QUALF>002</QUALF><IDTNR>FL-200</IDTNR>'
            "</E1EDP19></E1EDP01>"
            '<E1EDP01 SEGMENT="1"><POSEX>000020</POSEX><MENGE>10.000</MENGE><MENEE>PCE</MENEE>'
            '<NETWR>125.00</NETWR><E1EDP19 SEGMENT="1"><QUALF>002</QUALF><IDTNR>PAL</IDTNR>'
            "</E1EDP19></E1EDP01>"
            '<E1EDS01 SEGMENT="1"><SUMID>002</SUMID><SUMME>2125.00</SUMME></E1EDS01></IDOC>'
        )

    def drop(self, name: str, root: str, *idocs: str) -> Any:
        """Write a file of these IDocs under root element ``root`` into the inbox; its path."""
        path = self.inbox / name
        content = f'<?xml version="1.0" encoding="UTF-8"?>\n<{root}>{"".join(idocs)}</{root}>\n'
        path.write_text(content, encoding="utf-8")
        return path

    def drop_bytes(self, name: str, content: bytes) -> Any:
        path = self.inbox / name
        path.write_bytes(content)
        return path


@pytest.fixture
def idoc_inbox(tmp_path: Any) -> Any:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    return inbox


@pytest.fixture
def idoc_files(idoc_inbox: Any) -> IdocFiles:
    """Writes realistic DEBMAS07 and ORDERS05 files into the inbox."""
    return IdocFiles(idoc_inbox)


@pytest.fixture
def idoc_crm(make_erp_sap: CrmMaker, idoc_inbox: Any) -> Crm:
    """A CRM taking in IDoc files of system S4P from ``idoc_inbox`` (done/ and failed/ in it)."""
    return make_erp_sap({"idoc": {"inbox": str(idoc_inbox), "system": "S4P"}})


@pytest.fixture
def idoc_sales(make_erp_sap: CrmMaker, idoc_inbox: Any) -> OrderDesk:
    """A CRM with sfa taking in IDoc files of system S4P from ``idoc_inbox``, and a seller (no
    SAP server: IDoc files need none)."""
    crm = make_erp_sap({"idoc": {"inbox": str(idoc_inbox), "system": "S4P"}}, with_plugins=("sfa",))
    seller = add_user(crm, "max", "manager", team="north", territories=("DE-10",))
    return OrderDesk(crm, seller, None, None)


@pytest.fixture
def unconfigured_desk(make_erp_sap: CrmMaker) -> OrderDesk:
    """A CRM with sfa and erp_sap and no SAP system configured."""
    crm = make_erp_sap(with_plugins=("sfa",))
    seller = add_user(crm, "sofia", "manager", team="north", territories=("DE-10",))
    return OrderDesk(crm, seller, None, None)
