"""Routing by hand, through the API and the fallback page alike: what staff do not name is
the lead's own (its latest assignment's brand, region and vehicle of interest; the party's
address when no assignment names a region)."""

from __future__ import annotations

from typing import Any

from crmkit_dms.routing.tables import assignment
from sqlalchemy import select

from crmkit import Crm

from .conftest import Network, PartyMaker, RouteMaker

GOLF = {"make": "VW", "model": "Golf", "year": 2026}


def test_a_lead_rerouted_to_a_named_partner_keeps_brand_region_and_vehicle(
    network: Network, route: RouteMaker, client_as: Any
) -> None:
    first = route(vehicle=GOLF)
    other = network.spandau if first.partner_id == network.mitte else network.mitte
    staff = client_as(network.router)
    moved = staff.post(f"/p/dms/leads/{first.party_id}/route", json={"partner_id": other})
    assert moved.status_code == 201, moved.text
    found = moved.json()
    assert (found["partner_id"], found["previous_id"]) == (other, first.id)
    assert (found["brand"], found["country"], found["postcode"]) == ("VW", "DE", "10115")
    assert found["vehicle"] == GOLF


def test_an_empty_body_routes_to_the_best_partner_for_the_leads_own_details(
    network: Network, route: RouteMaker, client_as: Any
) -> None:
    munich = route(postcode="80331", vehicle=GOLF)
    assert munich.partner_id == network.bayern
    staff = client_as(network.router)
    again = staff.post(f"/p/dms/leads/{munich.party_id}/route", json={})
    assert again.status_code == 201, again.text
    found = again.json()
    assert (found["state"], found["partner_id"]) == ("offered", network.bayern)
    assert (found["country"], found["postcode"], found["brand"]) == ("DE", "80331", "VW")
    assert found["vehicle"] == GOLF
    # What staff name wins over the lead's own facts.
    named = staff.post(f"/p/dms/leads/{munich.party_id}/route", json={"postcode": "10115"})
    assert named.json()["partner_id"] in (network.mitte, network.spandau)
    assert named.json()["vehicle"] == GOLF


def test_a_lead_never_routed_is_routed_on_its_partys_address(
    crm: Crm, network: Network, new_party: PartyMaker, client_as: Any
) -> None:
    lead = new_party(
        "prospect",
        addresses=[
            {"street": "Marienplatz 1", "postcode": "80331", "city": "München", "country": "DE"}
        ],
    )
    staff = client_as(network.router)
    routed = staff.post(f"/p/dms/leads/{lead}/route", json={"brand": "VW"})
    assert routed.status_code == 201, routed.text
    assert (routed.json()["partner_id"], routed.json()["postcode"]) == (network.bayern, "80331")


def test_the_fallback_page_and_the_api_route_alike(
    crm: Crm, network: Network, route: RouteMaker, client_as: Any
) -> None:
    queued = route(country=None, postcode=None, vehicle=GOLF)
    assert queued.partner_id is None and queued.reason == "the lead names no country or postcode"
    # Staff fill in nothing: the party's address (Berlin) is where it is routed now.
    page = client_as(network.router).post(
        f"/p/dms/page/fallback/{queued.id}/route", data={"partner_id": ""}, follow_redirects=False
    )
    assert page.status_code == 303, page.text
    with crm.read() as conn:
        row = conn.execute(select(assignment).where(assignment.c.previous_id == queued.id)).one()
    assert row.partner_id in (network.mitte, network.spandau)
    assert (row.brand, row.country, row.postcode, row.vehicle) == ("VW", "DE", "10117", GOLF)
