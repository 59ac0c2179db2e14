"""The ADF export of one lead by hand names the dealer it was offered to, as the leads sent
to a dealer's DMS do (ADF 1.0 wants a vendorname in the vendor)."""

from __future__ import annotations

from typing import Any

from crmkit_dms.formats.adf import parse_adf

from .conftest import Network, RouteMaker


def test_the_exported_lead_names_its_dealer(
    network: Network, route: RouteMaker, client_as: Any
) -> None:
    munich = route(postcode="80331", vehicle={"make": "VW", "model": "Golf", "year": 2026})
    answer = client_as(network.router).get(f"/p/dms/leads/{munich.party_id}/adf.xml")
    assert answer.status_code == 200, answer.text
    assert "<vendorname>Autohaus Bayern</vendorname>" in answer.text
    (lead,) = parse_adf(answer.content)
    assert lead.vendor_name == "Autohaus Bayern"
    assert lead.lead_id == f"crmkit-{munich.id}"
    assert lead.wanted is not None and lead.wanted.model == "Golf"


def test_a_lead_offered_to_no_partner_has_no_empty_vendor(
    network: Network, route: RouteMaker, client_as: Any
) -> None:
    queued = route(postcode="20095")
    assert queued.partner_id is None
    answer = client_as(network.router).get(f"/p/dms/leads/{queued.party_id}/adf.xml")
    assert answer.status_code == 200, answer.text
    assert "<vendor>" not in answer.text and "<contact />" not in answer.text
