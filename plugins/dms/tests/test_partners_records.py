"""A partner user sees the leads routed to its partner and nothing else, by every path:
kernel lists, search, lookups by id, timeline, export, vCard, audit, the event feed,
the party page, and the partner admin API."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_dms.partners.records import permission_check
from crmkit_dms.routing.tables import assignment
from sqlalchemy import select

from crmkit import Crm, get_party, is_allowed, seen_party_ids
from crmkit.testing import add_user

from .conftest import Dealers, OfferMaker, PartyMaker

Setup = tuple[Dealers, int, int]


@pytest.fixture
def leads(dealers: Dealers, new_party: PartyMaker, offer: OfferMaker) -> Setup:
    """Ada's lead offered to north; Bob's lead offered to south."""
    ours = new_party("prospect", first_name="Ada", last_name="Ours", emails=["ada@ours.example"])
    theirs = new_party(
        "prospect", first_name="Bob", last_name="Theirs", emails=["bob@theirs.example"]
    )
    offer(ours, dealers.north)
    offer(theirs, dealers.south)
    return dealers, ours, theirs


def ids_of(page: dict[str, Any]) -> set[int]:
    return {item["id"] for item in page["items"]}


def test_lists_hold_only_the_partners_leads(crm: Crm, client_as: Any, leads: Setup) -> None:
    dealers, ours, theirs = leads
    nora = client_as(dealers.nora)
    prospects = nora.get("/api/v1/prospects")
    assert prospects.status_code == 200, prospects.text
    assert ids_of(prospects.json()) == {ours}
    customers = nora.get("/api/v1/customers")
    # The partners' own organisation parties are customers of the CRM, not nora's to see.
    assert customers.status_code == 200 and ids_of(customers.json()) == set()
    sven = client_as(dealers.sven)
    assert ids_of(sven.get("/api/v1/prospects").json()) == {theirs}
    # Staff are not narrowed by the partner rules.
    admin = client_as(dealers.admin)
    assert {ours, theirs} <= ids_of(admin.get("/api/v1/prospects").json())


def test_another_partners_lead_is_not_found_by_id(client_as: Any, leads: Setup) -> None:
    dealers, ours, theirs = leads
    nora = client_as(dealers.nora)
    assert nora.get(f"/api/v1/parties/{ours}").status_code == 200
    for path in (
        f"/api/v1/parties/{theirs}",
        f"/api/v1/parties/{theirs}/timeline",
        f"/api/v1/parties/{theirs}/vcard",
        f"/api/v1/parties/{theirs}/audit",
        f"/api/v1/parties/{theirs}/consents",
        f"/api/v1/parties/{theirs}/merges",
    ):
        answer = nora.get(path)
        assert answer.status_code in (403, 404), (path, answer.status_code)
        assert "Theirs" not in answer.text and "bob@theirs" not in answer.text
    assert nora.get(f"/api/v1/parties/{theirs}").status_code == 404


def test_search_and_lookup_find_only_the_partners_leads(client_as: Any, leads: Setup) -> None:
    dealers, ours, theirs = leads
    nora = client_as(dealers.nora)
    found = nora.get("/api/v1/prospects", params={"q": "Theirs"})
    assert found.status_code == 200 and ids_of(found.json()) == set()
    found = nora.get("/api/v1/prospects", params={"q": "Ours"})
    assert ids_of(found.json()) == {ours}
    page = nora.get("/search", params={"q": "Theirs"})
    assert "Bob" not in page.text
    lookup = nora.get("/api/v1/lookup", params={"email": "bob@theirs.example"})
    assert lookup.status_code in (200, 404) and "Theirs" not in lookup.text
    assert str(theirs) not in lookup.text.replace(str(ours), "")
    mine = nora.get("/api/v1/lookup", params={"email": "ada@ours.example"})
    assert mine.status_code == 200 and "Ours" in mine.text


def test_export_and_page_of_another_partners_lead_are_refused(client_as: Any, leads: Setup) -> None:
    dealers, ours, theirs = leads
    nora = client_as(dealers.nora)
    export = nora.get(f"/api/v1/parties/{theirs}/export")
    assert export.status_code in (403, 404) and "Theirs" not in export.text
    # A partner user exports no person at all: a data request goes through the CRM's staff.
    assert nora.get(f"/api/v1/parties/{ours}/export").status_code in (403, 404)
    assert nora.get(f"/parties/{theirs}").status_code == 404
    assert nora.get(f"/parties/{ours}").status_code == 200


def test_changes_and_feeds_are_refused(client_as: Any, leads: Setup) -> None:
    dealers, ours, theirs = leads
    nora = client_as(dealers.nora)
    feed = nora.get("/api/v1/events")
    assert feed.status_code == 200, feed.text
    about = {str(event.get("entity_id")) for event in feed.json()["items"]}
    assert str(theirs) not in about and "Theirs" not in feed.text
    admin_feed = client_as(dealers.admin).get("/api/v1/events").json()["items"]
    assert str(theirs) in {str(event.get("entity_id")) for event in admin_feed}
    answer = nora.post("/api/v1/prospects", json={"first_name": "Eve", "emails": ["e@x.example"]})
    assert answer.status_code == 403
    answer = nora.patch(f"/api/v1/parties/{ours}", json={"first_name": "X", "version": 1})
    assert answer.status_code in (403, 404, 405)
    assert nora.get("/p/dms/partners").status_code == 403
    assert nora.get(f"/p/dms/partners/{dealers.south}").status_code == 403


def test_a_declined_or_expired_lead_is_no_longer_seen(
    crm: Crm, client_as: Any, dealers: Dealers, new_party: PartyMaker, offer: OfferMaker
) -> None:
    declined = new_party("prospect", last_name="Declined")
    expired = new_party("prospect", last_name="Expired")
    sold = new_party("prospect", last_name="Sold")
    offer(declined, dealers.north, "declined")
    offer(declined, dealers.south)  # routed on
    offer(expired, dealers.north, "expired")
    offer(sold, dealers.north, "sold")
    nora = client_as(dealers.nora)
    assert ids_of(nora.get("/api/v1/prospects").json()) == {sold}
    assert nora.get(f"/api/v1/parties/{declined}").status_code == 404
    assert ids_of(client_as(dealers.sven).get("/api/v1/prospects").json()) == {declined}


def test_unlinked_or_deactivated_partner_users_see_nothing(
    crm: Crm, client_as: Any, leads: Setup
) -> None:
    dealers, ours, _ = leads
    loner = add_user(crm, "lone", "partner")
    assert ids_of(client_as(loner).get("/api/v1/prospects").json()) == set()
    admin = client_as(dealers.admin)
    version = admin.get(f"/p/dms/partners/{dealers.north}").json()["partner"]["version"]
    answer = admin.patch(
        f"/p/dms/partners/{dealers.north}", json={"active": False, "version": version}
    )
    assert answer.status_code == 200, answer.text
    nora = client_as(dealers.nora)
    assert ids_of(nora.get("/api/v1/prospects").json()) == set()
    assert nora.get(f"/api/v1/parties/{ours}").status_code == 404


def test_record_check_without_database_refuses(crm: Crm, leads: Setup) -> None:
    dealers, ours, theirs = leads
    with crm.read() as conn:
        party = get_party(conn, ours)
        assert is_allowed(crm.host, dealers.nora, "core:party.read", party, conn=conn)
        assert not is_allowed(
            crm.host, dealers.nora, "core:party.read", get_party(conn, theirs), conn=conn
        )
        # Set-based rule and the one-record check agree.
        seen = {row[0] for row in conn.execute(seen_party_ids(crm.host, dealers.nora))}
        assert seen == {ours}
    assert permission_check(dealers.nora, "core:party.read", party, None) is False
    # Whatever another plugin grants, a partner user does only what the portal needs.
    assert permission_check(dealers.nora, "core:party.write", None, None) is False
    assert permission_check(dealers.admin, "core:party.write", None, None) is None


def test_the_plugins_own_routes_keep_the_rule(crm: Crm, client_as: Any, leads: Setup) -> None:
    dealers, ours, theirs = leads
    nora = client_as(dealers.nora)
    listed = nora.get("/p/dms/assignments")
    assert listed.status_code == 200, listed.text
    assert {item["party_id"] for item in listed.json()["items"]} == {ours}
    with crm.read() as conn:
        their_offer = conn.execute(
            select(assignment.c.id).where(assignment.c.party_id == theirs)
        ).scalar_one()
    assert nora.get(f"/p/dms/assignments/{their_offer}").status_code == 404
    assert nora.post(f"/p/dms/assignments/{their_offer}/accept").status_code == 404
    for path in (
        "/p/dms/fallback",
        f"/p/dms/leads/{theirs}/adf.xml",
        f"/p/dms/parties/{theirs}/vehicles",
        "/p/dms/vehicles",
        "/p/dms/documents",
    ):
        answer = nora.get(path)
        assert answer.status_code in (403, 404), (path, answer.status_code)
        assert "Theirs" not in answer.text
    rerouted = nora.post(f"/p/dms/leads/{theirs}/route", json={})
    assert rerouted.status_code in (403, 404)
