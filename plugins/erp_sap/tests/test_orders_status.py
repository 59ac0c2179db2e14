"""SAP's statuses of created orders come back onto the sfa order (its opportunity's
timeline), forward only, each change once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from crmkit_erp_sap.orders.sending import push_due
from crmkit_erp_sap.orders.status import erp_status, pull_statuses
from crmkit_sfa.quotes.orders import get_order
from sqlalchemy import select

from crmkit import interaction_table, utcnow

if TYPE_CHECKING:
    from conftest import OrderDesk


def later(minutes: int) -> datetime:
    return utcnow() + timedelta(minutes=minutes)


def test_status_changes_in_sap_move_the_sfa_order_forward_once(order_desk: OrderDesk) -> None:
    order_id = order_desk.place(order_desk.customer())
    push_due(order_desk.crm)
    [created] = order_desk.in_sap(order_id)
    number = created["SalesOrder"]

    assert pull_statuses(order_desk.crm) == 0  # just created: not due for 15 minutes
    assert pull_statuses(order_desk.crm, now=later(16)) == 1  # first read: statuses recorded
    order_desk.sales_orders.set_status(number, OverallSDProcessStatus="B")
    assert pull_statuses(order_desk.crm, now=later(32)) == 1
    with order_desk.crm.read() as conn:
        assert get_order(conn, order_id).erp_status == "confirmed"
    assert pull_statuses(order_desk.crm, now=later(48)) == 0  # nothing new

    order_desk.sales_orders.set_status(
        number, OverallSDProcessStatus="C", OverallTotalDeliveryStatus="C"
    )
    assert pull_statuses(order_desk.crm, now=later(64)) == 1
    with order_desk.crm.read() as conn:
        placed = get_order(conn, order_id)
    assert (placed.erp_status, placed.erp_reference) == ("delivered", number)
    push = order_desk.push(order_id)
    assert push.erp_status == "delivered"
    assert push.sap_status == {
        "OverallSDProcessStatus": "C",
        "OverallTotalDeliveryStatus": "C",
        "OverallOrdReltdBillgStatus": "",
    }

    order_desk.sales_orders.set_status(number, OverallOrdReltdBillgStatus="C")
    assert pull_statuses(order_desk.crm, now=later(80)) == 1
    calls = len(order_desk.sap.calls)
    assert pull_statuses(order_desk.crm, now=later(200)) == 0  # invoiced: no longer read
    assert len(order_desk.sap.calls) == calls
    with order_desk.crm.read() as conn:
        placed = get_order(conn, order_id)
        logged = conn.execute(
            select(interaction_table.c.subject, interaction_table.c.party_id)
            .where(interaction_table.c.source == "erp_sap")
            .order_by(interaction_table.c.id)
        ).all()
    assert placed.erp_status == "invoiced"
    # The party's timeline, each entry linked to the order and its opportunity.
    assert [subject for subject, _ in logged] == [
        f"Order {placed.number} sent to SAP as sales order {number}",
        f"SAP sales order {number} ({placed.number}) confirmed",
        f"SAP sales order {number} ({placed.number}) delivered",
        f"SAP sales order {number} ({placed.number}) invoiced",
    ]
    assert {party for _, party in logged} == {placed.party_id}


def test_an_order_already_further_along_does_not_go_back(order_desk: OrderDesk) -> None:
    from crmkit_sfa.quotes.orders import update_erp_status

    order_id = order_desk.place(order_desk.customer())
    with order_desk.crm.transaction() as tx:  # an IDoc told us first
        update_erp_status(tx, order_id, {"erp_status": "delivered"})
    push_due(order_desk.crm)
    [created] = order_desk.in_sap(order_id)
    with order_desk.crm.read() as conn:
        placed = get_order(conn, order_id)
    assert (placed.erp_status, placed.erp_reference) == ("delivered", created["SalesOrder"])
    order_desk.sales_orders.set_status(created["SalesOrder"], OverallSDProcessStatus="B")

    assert pull_statuses(order_desk.crm, now=later(16)) == 1
    with order_desk.crm.read() as conn:
        assert get_order(conn, order_id).erp_status == "delivered"


@pytest.mark.parametrize(
    ("process", "delivery", "billing", "expected"),
    [
        ("A", "", "", "sent"),
        ("B", "A", "", "confirmed"),
        ("A", "B", "", "confirmed"),
        ("C", "C", "A", "delivered"),
        ("C", "C", "C", "invoiced"),
    ],
)
def test_sap_header_statuses_map_to_sfa_erp_statuses(
    process: str, delivery: str, billing: str, expected: str
) -> None:
    statuses = {
        "OverallSDProcessStatus": process,
        "OverallTotalDeliveryStatus": delivery,
        "OverallOrdReltdBillgStatus": billing,
    }
    assert erp_status(statuses) == expected
