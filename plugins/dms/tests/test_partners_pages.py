"""The partner pages for staff (list, create with errors shown by the field, one partner
with its users and performance) and the portal of partner users (their leads only, a
lead's page with accept, decline and outcome)."""

from __future__ import annotations

from typing import Any

from crmkit_dms.routing.tables import assignment
from sqlalchemy import select

from crmkit import Crm

from .conftest import Dealers, OfferMaker, PartyMaker, Staff

BASE = "/p/dms/page/partners"


def test_staff_list_create_and_see_a_partner(crm: Crm, client_as: Any, dealers: Dealers) -> None:
    admin = client_as(dealers.admin)
    listed = admin.get(BASE)
    assert listed.status_code == 200 and "Autohaus Nord" in listed.text
    made = admin.post(
        BASE,
        data={
            "code": "kiel",
            "name": "Autohaus Kiel",
            "kind": "reseller",
            "brands": "VW, Seat",
            "regions": "DE 24\nDE 25",
            "capacity_per_day": "5",
            "time_zone": "Europe/Berlin",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    page = admin.get(made.headers["location"])
    assert page.status_code == 200
    assert "Autohaus Kiel" in page.text and "DE 24" in page.text and "seat" in page.text


def test_a_refused_form_shows_the_error_and_stores_nothing(
    client_as: Any, dealers: Dealers
) -> None:
    admin = client_as(dealers.admin)
    refused = admin.post(
        BASE, data={"code": "x y", "name": "Bad", "kind": "dealer", "regions": "DE 1 2"}
    )
    assert refused.status_code == 422
    assert 'aria-invalid="true"' in refused.text or "regions" in refused.text
    assert "Bad" in refused.text  # what was typed is shown again
    assert "x y" not in admin.get(BASE).text.split("<form")[0]


def test_users_are_added_by_username_on_the_partner_page(
    crm: Crm, client_as: Any, dealers: Dealers, staff: Staff
) -> None:
    admin = client_as(dealers.admin)
    from crmkit.testing import add_user

    add_user(crm, "petra", "partner")
    added = admin.post(f"{BASE}/{dealers.south}/users", data={"username": "petra"})
    assert added.status_code == 200 and "petra" in added.text
    staffer = admin.post(f"{BASE}/{dealers.south}/users", data={"username": "otto"})
    assert staffer.status_code == 422 and "partner" in staffer.text
    assert client_as(dealers.nora).get(f"{BASE}/{dealers.north}").status_code == 403


def test_the_portal_shows_only_the_partners_leads(
    crm: Crm, client_as: Any, dealers: Dealers, new_party: PartyMaker, offer: OfferMaker
) -> None:
    ours = new_party("prospect", first_name="Ada", last_name="Ours")
    theirs = new_party("prospect", first_name="Bob", last_name="Theirs")
    our_offer = offer(ours, dealers.north, brand="vw", postcode="10115")
    their_offer = offer(theirs, dealers.south, brand="vw", postcode="80331")
    nora = client_as(dealers.nora)
    portal = nora.get("/p/dms/portal")
    assert portal.status_code == 200
    assert f"/p/dms/portal/leads/{our_offer}" in portal.text
    assert f"/p/dms/portal/leads/{their_offer}" not in portal.text
    assert "80331" not in portal.text
    lead = nora.get(f"/p/dms/portal/leads/{our_offer}")
    assert lead.status_code == 200 and "Ada Ours" in lead.text
    other = nora.get(f"/p/dms/portal/leads/{their_offer}")
    assert other.status_code == 404 and "Theirs" not in other.text
    # Answering another partner's lead through the portal's forms: not found, nothing changed.
    assert nora.post(f"/p/dms/portal/leads/{their_offer}/accept").status_code == 404
    with crm.read() as conn:
        state = conn.execute(
            select(assignment.c.state).where(assignment.c.id == their_offer)
        ).scalar_one()
    assert state == "offered"


def test_the_portal_accepts_and_reports_outcomes(
    crm: Crm, client_as: Any, dealers: Dealers, new_party: PartyMaker, offer: OfferMaker
) -> None:
    lead = offer(new_party("prospect", last_name="Buyer"), dealers.north)
    nora = client_as(dealers.nora)
    url = f"/p/dms/portal/leads/{lead}"
    accepted = nora.post(f"{url}/accept", follow_redirects=False)
    assert accepted.status_code == 303, accepted.text
    refused = nora.post(f"{url}/outcome", data={"outcome": "lost", "reason": ""})
    assert refused.status_code == 422 and "reason" in refused.text
    sold = nora.post(f"{url}/outcome", data={"outcome": "sold"}, follow_redirects=False)
    assert sold.status_code == 303
    with crm.read() as conn:
        row = conn.execute(select(assignment).where(assignment.c.id == lead)).one()
    assert row.state == "sold" and row.first_contact_at is not None


def test_a_lead_declined_in_the_portal_goes_back_to_the_list_with_a_notice(
    crm: Crm, client_as: Any, dealers: Dealers, new_party: PartyMaker, offer: OfferMaker
) -> None:
    lead = offer(new_party("prospect", last_name="Unwanted"), dealers.north)
    nora = client_as(dealers.nora)
    declined = nora.post(
        f"/p/dms/portal/leads/{lead}/decline", data={"reason": "no stock"}, follow_redirects=False
    )
    assert declined.status_code == 303, declined.text
    assert declined.headers["location"] == f"/p/dms/portal?declined={lead}"
    portal = nora.get(declined.headers["location"])
    assert portal.status_code == 200
    assert f"You declined lead {lead}" in portal.text
    assert f"/p/dms/portal/leads/{lead}" not in portal.text
    assert nora.get(f"/p/dms/portal/leads/{lead}").status_code == 404
    with crm.read() as conn:
        row = conn.execute(select(assignment).where(assignment.c.id == lead)).one()
    assert (row.state, row.reason) == ("declined", "no stock")


def test_staff_see_the_portal_without_leads(client_as: Any, dealers: Dealers) -> None:
    page = client_as(dealers.admin).get("/p/dms/portal")
    assert page.status_code == 200 and "do not work for a partner" in page.text
