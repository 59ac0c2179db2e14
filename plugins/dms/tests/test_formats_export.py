"""Leads exported to a dealer's DMS (a real HTTP server on loopback), and the DMS reporting back
in STAR to the CRM served on loopback."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import httpx
import pytest
from crmkit_dms.formats.adf import parse_adf
from crmkit_dms.formats.outbound import send_leads
from crmkit_dms.formats.tables import document
from crmkit_dms.routing.service import accept
from crmkit_dms.routing.tables import assignment
from sqlalchemy import select

from crmkit import SYSTEM, Crm
from crmkit.testing import served

from .conftest import CrmMaker, DealerDms, PartyMaker, add_dealer
from .test_formats_routes import star_bod

SECRET = "sent-to-nord"
DMS_SECRET = "nord-sends-star"


@pytest.fixture
def crm(make_dms: CrmMaker, dealer_dms: DealerDms) -> Crm:
    return make_dms(
        dms={
            "formats": {
                "sources": {"nord-dms": DMS_SECRET},
                "partner_sources": {"nord-dms": "NORD"},
                "endpoints": {"NORD": {"url": dealer_dms.url, "secret": SECRET}},
                "max_send_attempts": 2,
            }
        }
    )


def _outbound(crm: Crm) -> list[Any]:
    with crm.read() as conn:
        return list(conn.execute(select(document).where(document.c.direction == "out")))


def test_a_lead_offered_to_a_partner_with_an_endpoint_is_sent_once(
    crm: Crm, dealer_dms: DealerDms, route: Any, new_party: PartyMaker
) -> None:
    add_dealer(crm, "NORD")
    party_id = new_party(
        "prospect", first_name="Anna", last_name="Berg", emails=["anna@berg-mail.de"]
    )
    offer = route(party_id=party_id, vehicle={"make": "VW", "model": "Golf", "year": 2026})
    send_leads(crm)
    send_leads(crm)  # a second run finds nothing more to send
    ((body, headers),) = dealer_dms.received
    (lead,) = parse_adf(body)
    assert lead.lead_id == f"crmkit-{offer.id}" and lead.emails == ("anna@berg-mail.de",)
    wanted = lead.wanted
    assert wanted is not None and (wanted.make, wanted.model, wanted.year) == ("VW", "Golf", 2026)
    assert lead.vendor_name == "Autohaus Nord"
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["x-hub-signature-256"] == f"sha256={expected}"
    (row,) = _outbound(crm)
    assert (row.status, row.attempts, row.assignment_id, headers["x-dms-delivery"]) == (
        "sent",
        1,
        offer.id,
        str(row.id),
    )


def test_a_partner_without_an_endpoint_gets_nothing(
    crm: Crm, dealer_dms: DealerDms, route: Any
) -> None:
    add_dealer(crm, "SUED")
    route()
    send_leads(crm)
    assert dealer_dms.received == [] and _outbound(crm) == []


def test_a_busy_dms_is_tried_again_later_and_then_given_up(
    crm: Crm, dealer_dms: DealerDms, route: Any
) -> None:
    add_dealer(crm, "NORD")
    route()
    dealer_dms.failures = 5
    send_leads(crm)
    (row,) = _outbound(crm)
    assert (row.status, row.attempts, row.error) == ("pending", 1, "HTTP 503")
    send_leads(crm)  # not due yet: the next try waits a minute
    assert _outbound(crm)[0].attempts == 1
    with crm.transaction(SYSTEM) as tx:
        tx.conn.execute(document.update().values(next_attempt_at=row.received_at))
    send_leads(crm)
    (row,) = _outbound(crm)
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", 2, None)
    assert dealer_dms.received == []


def test_the_dms_reports_the_sale_back_in_star(crm: Crm, dealer_dms: DealerDms, route: Any) -> None:
    add_dealer(crm, "NORD")
    offer = route()
    send_leads(crm)
    (lead,) = parse_adf(dealer_dms.received[0][0])
    with crm.transaction(SYSTEM) as tx:
        accept(tx, offer.id)
    report = (
        "<SalesLead><SalesLeadHeader><DocumentIdentificationGroup><DocumentIdentification>"
        f"<DocumentID>{lead.lead_id}</DocumentID></DocumentIdentification></DocumentIdentificationGroup>"
        "<LeadStatusCode>Lost</LeadStatusCode><LeadStatusReasonText>bought elsewhere</LeadStatusReasonText>"
        "</SalesLeadHeader></SalesLead>"
    )
    body = star_bod("SalesLead", report)
    signature = hmac.new(DMS_SECRET.encode(), body, hashlib.sha256).hexdigest()
    with served(crm) as base:
        answer = httpx.post(
            f"{base}/p/dms/public/star",
            content=body,
            headers={"X-Dms-Source": "nord-dms", "X-Hub-Signature-256": f"sha256={signature}"},
        )
    assert answer.status_code == 200 and "AcknowledgementStatusCode>Accepted" in answer.text
    with crm.read() as conn:
        state, reason = conn.execute(select(assignment.c.state, assignment.c.reason)).one()
    assert (state, reason) == ("lost", "bought elsewhere")
