"""The demo's sfa orders appear as sent to SAP: most created at some stage, one refused."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmkit_erp_sap.orders.tables import order_push
from crmkit_sfa import order_table
from sqlalchemy import select

from crmkit import utcnow
from crmkit.testing import seed_demo_data

if TYPE_CHECKING:
    from conftest import CrmMaker


def test_the_demo_pushes_are_the_demo_s_orders(make_erp_sap: CrmMaker) -> None:
    crm = make_erp_sap(with_plugins=("sfa",))
    seed_demo_data(crm, customers=60, prospects=10, now=utcnow().replace(microsecond=0))

    with crm.read() as conn:
        pushes = conn.execute(select(order_push)).all()
        orders = {r.id: r for r in conn.execute(select(order_table))}
    assert pushes
    assert all(orders[p.order_id].party_id == p.party_id for p in pushes)
    assert all(orders[p.order_id].number == p.reference for p in pushes)
    states = [p.state for p in pushes]
    assert states.count("failed") == 1 and states.count("created") == len(pushes) - 1
    assert all(p.sap_order for p in pushes if p.state == "created")
