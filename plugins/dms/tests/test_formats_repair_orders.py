"""STAR ProcessRepairOrder: only the DMS of a dealer (``partner_sources``) records repair
orders, and only in that dealer's name; anything else is acknowledged Rejected and stores
nothing."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_dms.vehicles.tables import repair_order, vehicle
from sqlalchemy import func, select

from crmkit import Crm
from crmkit.testing import http_client

from .conftest import CrmMaker, add_dealer
from .test_formats_routes import REPAIR_ORDER, signed, star_bod

SOURCES = {"leadco": "lead-secret", "nord-dms": "nord-secret", "ghost-dms": "ghost-secret"}


@pytest.fixture
def crm(make_dms: CrmMaker) -> Crm:
    return make_dms(
        dms={
            "formats": {
                "sources": SOURCES,
                "partner_sources": {"nord-dms": "NORD", "ghost-dms": "GHOST"},
            }
        }
    )


def post(crm: Crm, source: str, dealer: str, bod_id: str) -> Any:
    body = star_bod("RepairOrder", REPAIR_ORDER, bod_id=bod_id, dealer=dealer)
    return http_client(crm).post(
        "/p/dms/public/star", content=body, headers=signed(body, source, SOURCES[source])
    )


def stored(crm: Crm) -> list[Any]:
    with crm.read() as conn:
        return list(conn.execute(select(repair_order.c.partner_id, repair_order.c.ro_number)))


@pytest.mark.parametrize(
    ("source", "dealer", "reason"),
    [
        ("leadco", "SUED", "this sender is no dealer's DMS"),  # a lead portal, another dealer
        ("leadco", "", "this sender is no dealer's DMS"),  # a lead portal, no dealer named
        ("nord-dms", "SUED", "DealerNumberID SUED is not this sender's dealer"),
        ("nord-dms", "nosuchdealer", "DealerNumberID nosuchdealer is not this sender's dealer"),
        ("ghost-dms", "GHOST", "the sender's dealer GHOST is no partner"),  # bound to no partner
    ],
)
def test_a_repair_order_in_a_dealers_name_not_the_senders_is_rejected(
    crm: Crm, source: str, dealer: str, reason: str
) -> None:
    add_dealer(crm, "NORD")
    add_dealer(crm, "SUED")
    answer = post(crm, source, dealer, "7d1e0000-0000-4000-8000-000000000001")
    assert answer.status_code == 200, answer.text
    assert "<AcknowledgeRepairOrder" in answer.text
    assert "RO-5521</DocumentID><AcknowledgementStatusCode>Rejected" in answer.text, answer.text
    assert reason in answer.text
    assert stored(crm) == []
    with crm.read() as conn:
        assert conn.execute(select(func.count()).select_from(vehicle)).scalar_one() == 0


@pytest.mark.parametrize("dealer", ["NORD", ""])
def test_a_dealers_dms_records_its_repair_orders_in_its_own_name(crm: Crm, dealer: str) -> None:
    nord = add_dealer(crm, "NORD")
    answer = post(crm, "nord-dms", dealer, "7d1e0000-0000-4000-8000-000000000002")
    assert "RO-5521</DocumentID><AcknowledgementStatusCode>Accepted" in answer.text, answer.text
    assert stored(crm) == [(nord, "RO-5521")]
