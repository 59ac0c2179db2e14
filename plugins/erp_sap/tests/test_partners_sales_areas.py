"""The customer's sales areas: stored on each write of its partner, replaced whole, shown on
the party's SAP panel and in the API, moved on merge, exported, erased; DEBMAS E1KNVVM too."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from crmkit_erp_sap.idoc.intake import import_inbox
from crmkit_erp_sap.partners.apply import apply_partners
from crmkit_erp_sap.partners.odata import EXPAND
from crmkit_erp_sap.partners.panel import render_partners
from crmkit_erp_sap.partners.record import CustomerRole, PartnerRecord, SalesArea
from crmkit_erp_sap.partners.sync import sync
from crmkit_erp_sap.partners.tables import sales_area
from crmkit_erp_sap.testing import partner_number
from sqlalchemy import select

from crmkit import (
    SYSTEM,
    Crm,
    erase_party,
    export_party,
    find_by_external_id,
    merge_parties,
)
from crmkit.testing import add_party, add_user


def areas(crm: Crm, number: str) -> list[tuple[Any, ...]]:
    with crm.engine.connect() as conn:
        rows = conn.execute(
            select(
                sales_area.c.sales_organization,
                sales_area.c.distribution_channel,
                sales_area.c.division,
                sales_area.c.customer,
                sales_area.c.currency,
                sales_area.c.payment_terms,
                sales_area.c.customer_group,
                sales_area.c.order_block,
            )
            .where(sales_area.c.business_partner == number)
            .order_by(sales_area.c.sales_organization)
        )
        return [tuple(r) for r in rows]


def party_of(crm: Crm, number: str) -> int:
    with crm.engine.connect() as conn:
        found = find_by_external_id(conn, "sap.s4p", number)
    assert found is not None and found.id is not None
    return found.id


def customer(number: str, *sales_areas: SalesArea, changed: int = 1) -> PartnerRecord:
    return PartnerRecord(
        "S4P",
        number,
        "organisation",
        organisation_name="Nordlicht Logistik GmbH",
        last_change_at=datetime(2026, 11, changed, 9, 30, tzinfo=UTC),
        customer=CustomerRole(f"C{number}", sales_areas),
    )


def apply(crm: Crm, *records: PartnerRecord) -> list[Any]:
    with crm.transaction(SYSTEM) as tx:
        return apply_partners(tx, records)


GERMANY = SalesArea("1010", "10", "00", currency="EUR", payment_terms="0001")
USA = SalesArea("1710", "10", "00", currency="USD", payment_terms="0004", order_block="01")


def test_a_pull_stores_each_customers_sales_areas_with_their_terms(
    pulling: Crm, sap_partners: Any
) -> None:
    sync(pulling, "S4P")

    for index in range(50):
        row = sap_partners.partners.partner(index, expand=frozenset(EXPAND))
        served = row["to_Customer"]["to_CustomerSalesArea"]["results"] if row["to_Customer"] else []
        assert areas(pulling, partner_number(index)) == [
            (
                a["SalesOrganization"],
                a["DistributionChannel"],
                a["Division"],
                partner_number(index),
                a["Currency"],
                a["CustomerPaymentTerms"],
                a["CustomerGroup"],
                a["OrderIsBlockedForCustomer"],
            )
            for a in served
        ]
    # Partner 36 is blocked for orders in its sales area; partner 8 is no customer.
    assert "01" in [a[-1] for a in areas(pulling, partner_number(36))]
    assert areas(pulling, partner_number(8)) == []


def test_the_sales_areas_are_replaced_whole_when_the_partner_changes(crm: Crm) -> None:
    apply(crm, customer("2000001", GERMANY, USA))
    assert [a[0] for a in areas(crm, "2000001")] == ["1010", "1710"]

    [outcome] = apply(crm, customer("2000001", USA, changed=2))

    assert outcome.result == "updated"
    assert areas(crm, "2000001") == [("1710", "10", "00", "C2000001", "USD", "0004", "", "01")]
    # Only the change time moved: the areas stay as they were.
    [same] = apply(crm, customer("2000001", USA, changed=3))
    assert same.result == "unchanged"
    assert [a[0] for a in areas(crm, "2000001")] == ["1710"]
    # No longer a customer in any area: none left.
    apply(crm, customer("2000001", changed=4))
    assert areas(crm, "2000001") == []


def test_a_sales_area_code_sap_could_not_have_sent_fails_that_partner_alone(crm: Crm) -> None:
    too_long = SalesArea("1010", "10", "00", currency="E" * 41)

    bad, good = apply(crm, customer("2000002", too_long), customer("2000003", GERMANY))

    assert (bad.result, bad.field) == ("failed", "customer.sales_areas[0].currency")
    assert good.result == "created"
    assert areas(crm, "2000002") == []


def test_the_panel_and_the_api_show_the_sales_areas(
    crm: Crm, client_as: Any, new_party: Any
) -> None:
    apply(crm, customer("2000004", GERMANY, USA))
    party_id = party_of(crm, "2000004")
    admin = add_user(crm, "ada", "admin", team="it")
    manager = add_user(crm, "max", "manager", team="north", territories=("DE-10",))
    seller = add_user(crm, "otto", "sales", team="west", territories=("FR-75",))
    berliner = new_party()

    with crm.engine.connect() as conn:
        html = render_partners(conn, party_id)
    assert "1010/10/00" in html and "USD" in html and "orders blocked (01)" in html

    response = client_as(admin).get(f"/p/erp_sap/parties/{party_id}/business-partners")
    assert response.status_code == 200, response.text
    [found] = response.json()
    assert (found["system"], found["business_partner"]) == ("S4P", "2000004")
    assert [
        (a["sales_organization"], a["currency"], a["payment_terms"], a["order_block"])
        for a in found["sales_areas"]
    ] == [("1010", "EUR", "0001", ""), ("1710", "USD", "0004", "01")]
    assert client_as(manager).get(f"/p/erp_sap/parties/{berliner}/business-partners").json() == []
    assert (
        client_as(seller).get(f"/p/erp_sap/parties/{berliner}/business-partners").status_code == 403
    )
    assert client_as(manager).get("/p/erp_sap/parties/999999/business-partners").status_code == 404


def test_merge_moves_export_lists_and_erasure_deletes_the_sales_areas(crm: Crm) -> None:
    apply(crm, customer("2000005", GERMANY))
    merged = party_of(crm, "2000005")
    survivor = add_party(crm, "customer", last_name="Keeper")

    with crm.transaction(SYSTEM) as tx:
        merge_parties(tx, survivor, merged)
    with crm.engine.connect() as conn:
        owners = set(conn.execute(select(sales_area.c.party_id)).scalars())
        exported = export_party(conn, crm.host, survivor)["erp_sap"]["business_partners"]
    assert owners == {survivor}
    assert [a["currency"] for e in exported for a in e["sales_areas"]] == ["EUR"]

    with crm.transaction(SYSTEM) as tx:
        erase_party(tx, survivor)
    assert areas(crm, "2000005") == []


@pytest.mark.parametrize("with_terms", [True, False])
def test_debmas_sales_area_segments_are_stored_like_pulled_ones(
    make_erp_sap: Any, idoc_inbox: Any, idoc_files: Any, with_terms: bool
) -> None:
    crm = make_erp_sap({"idoc": {"inbox": str(idoc_inbox), "system": "S4P"}})
    terms = "<KDGRP>02</KDGRP><ZTERM>ZB30</ZTERM><AUFSD>01</AUFSD>" if with_terms else ""
    customer_idoc = idoc_files.customer("0000000000004711").replace(
        "<WAERS>EUR</WAERS>", f"<WAERS>EUR</WAERS>{terms}"
    )
    idoc_files.drop("debmas.xml", "DEBMAS07", customer_idoc)

    [taken] = import_inbox(crm)

    assert taken.status == "imported"
    expected = ("02", "ZB30", "01") if with_terms else ("", "", "")
    assert areas(crm, "100042") == [  # KUNNR 0000100042 as SAP shows it
        ("1010", "10", "00", "100042", "EUR", expected[1], expected[0], expected[2])
    ]
