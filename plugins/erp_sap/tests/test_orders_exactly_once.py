"""Exactly once: an order is never created twice in SAP, also when the answer to a
committed create is lost, when the sending run dies, when SAP is unavailable."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from crmkit_erp_sap.orders.sending import push_due
from crmkit_erp_sap.orders.tables import order_push
from crmkit_sfa.quotes.orders import get_order
from sqlalchemy import update

from crmkit import utcnow

if TYPE_CHECKING:
    from conftest import OrderDesk


def later(minutes: int) -> datetime:
    return utcnow() + timedelta(minutes=minutes)


def test_a_lost_answer_is_read_back_and_the_order_is_not_created_again(
    order_desk: OrderDesk,
) -> None:
    order_id = order_desk.place(order_desk.customer())
    order_desk.sales_orders.lose_answers = 1

    first = push_due(order_desk.crm)

    assert (first.created, first.deferred) == (0, 1)
    [in_sap] = order_desk.in_sap(order_id)
    push = order_desk.push(order_id)
    assert (push.state, push.sap_order) == ("queued", None)
    assert push.sent_at is not None and push.last_error
    assert push_due(order_desk.crm).created == 0  # not due yet: it waits retry_seconds

    second = push_due(order_desk.crm, now=later(5))

    assert (second.found, second.created) == (1, 0)
    assert len(order_desk.in_sap(order_id)) == 1
    assert order_desk.batch_calls() == 1
    push = order_desk.push(order_id)
    assert (push.state, push.sap_order, push.last_error) == ("created", in_sap["SalesOrder"], None)
    with order_desk.crm.read() as conn:
        assert get_order(conn, order_id).erp_reference == in_sap["SalesOrder"]


def test_a_push_left_sending_by_a_dead_run_is_read_back_after_the_timeout(
    order_desk: OrderDesk,
) -> None:
    order_id = order_desk.place(order_desk.customer())
    order_desk.sales_orders.lose_answers = 1
    push_due(order_desk.crm)
    # The run died after SAP committed and before it recorded anything: still "sending".
    with order_desk.crm.transaction() as tx:
        tx.conn.execute(
            update(order_push).values(state="sending", updated_at=utcnow() - timedelta(minutes=1))
        )

    assert push_due(order_desk.crm).found == 0  # another run may still be at it
    assert push_due(order_desk.crm, now=utcnow() + timedelta(minutes=11)).found == 1

    assert len(order_desk.in_sap(order_id)) == 1
    assert order_desk.push(order_id).state == "created"


def test_a_push_read_back_and_not_found_is_created(order_desk: OrderDesk) -> None:
    order_id = order_desk.place(order_desk.customer())
    order_desk.sap.faults.every = lambda request: request.path == "$batch"
    order_desk.sap.faults.unavailable = 2  # the send and its one retry

    assert push_due(order_desk.crm).deferred == 1
    assert order_desk.sales_orders.orders == {}
    second = push_due(order_desk.crm, now=later(5))

    assert second.created == 1
    assert len(order_desk.in_sap(order_id)) == 1
    reads = [p for m, p in order_desk.sap.calls if m == "GET" and "PurchaseOrderByCustomer" in p]
    assert len(reads) == 1  # read back before the second send


def test_a_503_in_the_middle_is_retried_at_once_within_the_run(order_desk: OrderDesk) -> None:
    order_desk.sap.faults.every = lambda request: request.path == "$batch"
    order_desk.sap.faults.unavailable = 1
    order_id = order_desk.place(order_desk.customer())

    assert push_due(order_desk.crm).created == 1
    assert len(order_desk.in_sap(order_id)) == 1


def test_a_push_sap_never_answers_gives_up_and_a_retry_sends_it_once(
    order_desk: OrderDesk,
) -> None:
    from crmkit_erp_sap.orders.pushes import retry_push

    order_id = order_desk.place(order_desk.customer())
    order_desk.sap.faults.every = lambda request: request.path == "$batch"
    order_desk.sap.faults.unavailable = 10_000
    for minutes in range(0, 24 * 60 * 7, 60):
        push_due(order_desk.crm, now=later(minutes))
    push = order_desk.push(order_id)
    assert (push.state, push.attempts) == ("gave_up", 8)
    assert "no answer after 8 attempts" in (push.last_error or "")

    order_desk.sap.faults.unavailable = 0
    with order_desk.crm.transaction() as tx:
        assert retry_push(tx, push.id).state == "queued"
    assert push_due(order_desk.crm).created == 1
    assert len(order_desk.in_sap(order_id)) == 1
