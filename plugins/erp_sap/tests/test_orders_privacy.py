"""A party's order pushes follow a merge, appear in its export and go with its erasure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmkit_erp_sap.orders.sending import push_due
from crmkit_erp_sap.orders.tables import order_push
from sqlalchemy import select

from crmkit import erase_party, export_party, merge_parties

if TYPE_CHECKING:
    from conftest import OrderDesk


def test_pushes_move_on_merge_are_exported_and_erased(order_desk: OrderDesk) -> None:
    crm = order_desk.crm
    survivor = order_desk.customer("1000042")
    duplicate = order_desk.customer(None, first_name="Ada", last_name="Again")
    order_id = order_desk.place(duplicate)
    push_due(crm)  # fails: the duplicate has no SAP number

    with crm.transaction() as tx:
        merge_parties(tx, survivor, duplicate)
    assert order_desk.push(order_id).party_id == survivor

    with crm.read() as conn:
        exported = export_party(conn, crm.host, survivor)["erp_sap"]["order_pushes"]
    assert exported == [
        {
            "order_id": order_id,
            "system": "S4P",
            "state": "failed",
            "reference": order_desk.number(order_id),
            "sap_order": None,
            "erp_status": None,
        }
    ]

    with crm.transaction() as tx:
        erase_party(tx, survivor)
    with crm.read() as conn:
        assert conn.execute(select(order_push.c.id)).all() == []
