"""A won quotation's order ends in SAP exactly once: sent in $batch against the loopback
server, also when SAP's answer is lost or SAP is unavailable, with bad data reported."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING

from crmkit_erp_sap.orders.events import on_event
from crmkit_erp_sap.orders.sending import push_due
from crmkit_erp_sap.orders.tables import order_push
from crmkit_sfa.quotes.orders import get_order
from sqlalchemy import select

from crmkit import utcnow

if TYPE_CHECKING:
    from conftest import OrderDesk


def later(minutes: int) -> datetime:
    return utcnow() + timedelta(minutes=minutes)


def test_a_won_order_is_created_in_sap_with_items_partner_and_our_reference(
    order_desk: OrderDesk,
) -> None:
    party = order_desk.customer("1000042")
    order_id = order_desk.place(party, {"FL-200": "2", "PAL": "10"})
    assert order_desk.push(order_id).state == "queued"

    report = push_due(order_desk.crm)

    assert report.created == 1
    with order_desk.crm.read() as conn:
        placed = get_order(conn, order_id)
    [created] = order_desk.sales_orders.by_reference(placed.number)
    assert created["SoldToParty"] == "1000042"
    assert (created["SalesOrderType"], created["SalesOrganization"]) == ("OR", "1010")
    assert (created["DistributionChannel"], created["OrganizationDivision"]) == ("10", "00")
    assert created["TransactionCurrency"] == "EUR"
    items = [
        (i["SalesOrderItem"], i["Material"], i["RequestedQuantity"])
        for i in created["to_Item"]["results"]
    ]
    assert items == [("10", "FL-200", "2"), ("20", "PAL", "10")]
    assert created["to_Partner"]["results"] == [{"PartnerFunction": "SH", "Customer": "1000042"}]
    push = order_desk.push(order_id)
    assert (push.state, push.sap_order, push.attempts) == ("created", created["SalesOrder"], 1)
    assert (placed.erp_status, placed.erp_reference) == ("sent", created["SalesOrder"])


def test_an_event_delivered_twice_queues_one_push_and_sap_gets_one_order(
    order_desk: OrderDesk,
) -> None:
    order_id = order_desk.place(order_desk.customer())
    redelivered = SimpleNamespace(type="sfa.order_placed", entity_id=str(order_id))
    on_event(order_desk.crm, redelivered)
    push_due(order_desk.crm)
    on_event(order_desk.crm, redelivered)
    push_due(order_desk.crm, now=later(60))

    with order_desk.crm.read() as conn:
        number = get_order(conn, order_id).number
        assert len(conn.execute(select(order_push.c.id)).all()) == 1
    assert len(order_desk.sales_orders.by_reference(number)) == 1
    assert order_desk.batch_calls() == 1
