"""The order-push API: listed and read as the order's party is seen, retried by admins only,
in the OpenAPI document; ``crmkit erp_sap orders push`` sends what is due."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from crmkit_erp_sap.orders.sending import push_due

from crmkit import Actor, Crm
from crmkit.testing import invoke

if TYPE_CHECKING:
    from conftest import OrderDesk, Staff

ClientAs = Callable[[Actor], Any]


@pytest.fixture
def crm(order_desk: OrderDesk) -> Crm:
    return order_desk.crm


def test_pushes_are_listed_and_read_only_by_who_sees_the_party(
    order_desk: OrderDesk, staff: Staff, client_as: ClientAs
) -> None:
    order_id = order_desk.place(order_desk.customer())  # a party in Berlin (DE-10)
    push_due(order_desk.crm)
    push = order_desk.push(order_id)

    listed = client_as(staff.manager).get("/p/erp_sap/order-pushes")
    assert listed.status_code == 200
    [item] = listed.json()["items"]
    assert (item["id"], item["order_id"], item["state"]) == (push.id, order_id, "created")
    assert item["sap_order"] == order_desk.in_sap(order_id)[0]["SalesOrder"]

    outsider = client_as(staff.outsider)  # sales in FR-75: does not see the party
    assert outsider.get("/p/erp_sap/order-pushes").json()["items"] == []
    assert outsider.get(f"/p/erp_sap/order-pushes/{push.id}").status_code == 404
    assert client_as(staff.agent).get("/p/erp_sap/order-pushes").status_code == 403
    got = client_as(staff.admin).get(f"/p/erp_sap/order-pushes/{push.id}")
    assert got.json()["reference"] == order_desk.number(order_id)


def test_only_failed_pushes_are_retried_and_only_by_admins(
    order_desk: OrderDesk, staff: Staff, client_as: ClientAs
) -> None:
    failing = order_desk.place(order_desk.customer("1000099"))  # SAP refuses this sold-to
    sent = order_desk.place(order_desk.customer("1000042"))
    push_due(order_desk.crm)
    failed, created = order_desk.push(failing), order_desk.push(sent)
    admin = client_as(staff.admin)

    assert (
        client_as(staff.manager).post(f"/p/erp_sap/order-pushes/{failed.id}/retry").status_code
        == 403
    )
    refused = admin.post(f"/p/erp_sap/order-pushes/{created.id}/retry")
    assert refused.status_code == 409
    listed = admin.get("/p/erp_sap/order-pushes", params={"state": "failed"}).json()["items"]
    assert [p["id"] for p in listed] == [failed.id]
    bad = admin.get("/p/erp_sap/order-pushes", params={"state": "lost"})
    assert (bad.status_code, bad.json()["field"]) == (422, "state")

    order_desk.sales_orders.customers.add("1000099")  # fixed in SAP
    retried = admin.post(f"/p/erp_sap/order-pushes/{failed.id}/retry")
    assert (retried.status_code, retried.json()["state"]) == (200, "queued")
    result = invoke(order_desk.crm, "erp_sap", "orders", "push", "--no-status")
    assert "created 1, found already in SAP 0, failed 0" in result.output
    assert order_desk.push(failing).state == "created"
    assert len(order_desk.in_sap(failing)) == 1


def test_the_routes_are_in_the_openapi_document(staff: Staff, client_as: ClientAs) -> None:
    paths = client_as(staff.admin).get("/api/openapi.json").json()["paths"]
    assert "get" in paths["/p/erp_sap/order-pushes"]
    assert "get" in paths["/p/erp_sap/order-pushes/{push_id}"]
    assert "post" in paths["/p/erp_sap/order-pushes/{push_id}/retry"]


def test_the_page_lists_pushes_and_an_admin_retries_a_failed_one(
    order_desk: OrderDesk, staff: Staff, client_as: ClientAs
) -> None:
    failing = order_desk.place(order_desk.customer("1000099"))
    push_due(order_desk.crm)
    failed = order_desk.push(failing)

    shown = client_as(staff.manager).get("/p/erp_sap/page/order-pushes", params={"state": "failed"})
    assert shown.status_code == 200
    assert order_desk.number(failing) in shown.text
    assert "Sold-to party 1000099 not maintained" in shown.text
    assert "Retry" not in shown.text  # managers may not retry

    admin = client_as(staff.admin)
    assert "Retry" in admin.get("/p/erp_sap/page/order-pushes").text
    retried = admin.post(f"/p/erp_sap/page/order-pushes/{failed.id}/retry", follow_redirects=False)
    assert retried.status_code == 303
    assert order_desk.push(failing).state == "queued"
    again = admin.post(f"/p/erp_sap/page/order-pushes/{failed.id}/retry", follow_redirects=False)
    assert again.status_code == 409
    assert "only failed or given-up pushes are retried" in again.text
