"""The portal's lead page with everything a real lead carries: phone, e-mail and address."""

from __future__ import annotations

from typing import Any

from .conftest import Dealers, OfferMaker, PartyMaker


def test_a_lead_with_phone_email_and_address_opens_in_the_portal(
    client_as: Any, dealers: Dealers, new_party: PartyMaker, offer: OfferMaker
) -> None:
    lead = new_party(
        "prospect",
        first_name="Carla",
        last_name="Caller",
        emails=["carla@example.org"],
        phones=["+49 30 1234567"],
        addresses=[
            {
                "street": "Unter den Linden",
                "street_number": "5",
                "postcode": "10117",
                "city": "Berlin",
                "country": "DE",
            }
        ],
    )
    assignment_id = offer(lead, dealers.north, brand="vw", postcode="10117")
    page = client_as(dealers.nora).get(f"/p/dms/portal/leads/{assignment_id}")
    assert page.status_code == 200, page.text
    assert "Carla Caller" in page.text and "carla@example.org" in page.text
    assert "+49 30 1234567" in page.text
    assert "Unter den Linden" in page.text and "10117" in page.text
    assert "Accept" in page.text
