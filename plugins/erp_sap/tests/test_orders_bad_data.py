"""Bad data is reported on the push, the rest goes on: a party without an SAP number, an
order SAP refuses (its change set alone), no SAP system configured."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmkit_erp_sap.orders.sending import push_due
from crmkit_erp_sap.orders.tables import order_push
from sqlalchemy import select

if TYPE_CHECKING:
    from conftest import OrderDesk


def test_a_party_without_an_sap_number_fails_its_push_and_nothing_is_sent(
    order_desk: OrderDesk,
) -> None:
    unlinked = order_desk.customer(number=None)
    order_id = order_desk.place(unlinked)
    other = order_desk.place(order_desk.customer("1000043"))

    report = push_due(order_desk.crm)

    assert (report.failed, report.created) == (1, 1)
    push = order_desk.push(order_id)
    assert push.state == "failed"
    assert f"party_id: party {unlinked} has no SAP business partner number in S4P" in (
        push.last_error or ""
    )
    assert order_desk.in_sap(order_id) == []
    assert order_desk.push(other).state == "created"


def test_an_order_sap_refuses_fails_alone_with_sap_s_reason(order_desk: OrderDesk) -> None:
    refused = order_desk.place(order_desk.customer("1000099"))  # not a customer SAP knows
    accepted = order_desk.place(order_desk.customer("1000042"))

    report = push_due(order_desk.crm)

    assert order_desk.batch_calls() == 1  # both in one $batch, one change set each
    assert (report.failed, report.created) == (1, 1)
    push = order_desk.push(refused)
    assert push.state == "failed"
    assert push.last_error == (
        "SAP refused the order: Sold-to party 1000099 not maintained for sales area"
    )
    assert order_desk.in_sap(refused) == []
    assert len(order_desk.in_sap(accepted)) == 1
    assert push_due(order_desk.crm).failed == 0  # a failed push waits for a retry by hand


def test_an_unknown_unit_is_refused_before_sending(order_desk: OrderDesk) -> None:
    from crmkit_sfa.quotes.tables import order_line
    from sqlalchemy import update

    order_id = order_desk.place(order_desk.customer())
    with order_desk.crm.transaction() as tx:
        tx.conn.execute(
            update(order_line).where(order_line.c.order_id == order_id).values(unit="pallet")
        )

    assert push_due(order_desk.crm).failed == 1
    assert "unit: line 1: unit 'pallet' has no SAP unit of measure" in (
        order_desk.push(order_id).last_error or ""
    )
    assert order_desk.batch_calls() == 0


def test_without_an_sap_system_no_push_is_queued(unconfigured_desk: OrderDesk) -> None:
    crm = unconfigured_desk.crm
    unconfigured_desk.place(unconfigured_desk.customer())

    assert push_due(crm).created == 0
    with crm.read() as conn:
        assert conn.execute(select(order_push.c.id)).all() == []
