"""A lead taken from a partner (rerouted by staff, routed on by the deadline job) is no longer
the partner's to see by any path, though its old assignment keeps the state it had; and the
users of a deactivated partner see and answer nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from crmkit_dms.routing.expiry import route_on_expired
from crmkit_dms.routing.records import list_assignments
from crmkit_dms.routing.service import accept
from crmkit_dms.routing.tables import assignment
from sqlalchemy import select, update

from crmkit import Actor, Crm, NotFound, utcnow

from .conftest import Network, PartyMaker, RouteMaker


def user_of(network: Network, partner_id: int | None) -> Actor:
    return {network.mitte: network.mia, network.spandau: network.sepp, network.bayern: network.bea}[
        partner_id or 0
    ]


def ids_of(answer: Any) -> set[int]:
    assert answer.status_code == 200, answer.text
    return {item["id"] for item in answer.json()["items"]}


def assert_lost_sight(client: Any, party_id: int, old_offer: int, name: str) -> None:
    """``client`` (a partner user) finds neither the lead nor its old offer anywhere."""
    assert party_id not in ids_of(client.get("/api/v1/prospects"))
    assert party_id not in ids_of(client.get("/api/v1/prospects", params={"q": name}))
    assert f'/parties/{party_id}"' not in client.get("/search", params={"q": name}).text
    for path in (
        f"/api/v1/parties/{party_id}",
        f"/api/v1/parties/{party_id}/timeline",
        f"/api/v1/parties/{party_id}/vcard",
        f"/api/v1/parties/{party_id}/export",
        f"/parties/{party_id}",
        f"/p/dms/assignments/{old_offer}",
        f"/p/dms/portal/leads/{old_offer}",
    ):
        answer = client.get(path)
        assert answer.status_code in (403, 404), (path, answer.status_code)
        assert name not in answer.text, path
    assert client.get(f"/api/v1/parties/{party_id}").status_code == 404
    assert client.get(f"/p/dms/portal/leads/{old_offer}").status_code == 404
    assert old_offer not in ids_of(client.get("/p/dms/assignments"))
    assert f"/p/dms/portal/leads/{old_offer}" not in client.get("/p/dms/portal").text
    # Nor may it answer the old offer: 404, not a 409 telling that it exists.
    answer = client.post(f"/p/dms/assignments/{old_offer}/outcome", json={"outcome": "sold"})
    assert answer.status_code == 404, answer.text
    answer = client.post(f"/p/dms/portal/leads/{old_offer}/outcome", data={"outcome": "sold"})
    assert answer.status_code == 404


def test_a_lead_rerouted_by_staff_leaves_the_previous_partners_sight(
    crm: Crm,
    client_as: Any,
    network: Network,
    route: RouteMaker,
    new_party: PartyMaker,
) -> None:
    lead = new_party("prospect", first_name="Rudi", last_name="Umgeleitet", emails=["r@u.example"])
    first = route(lead)
    previous = client_as(user_of(network, first.partner_id))
    assert previous.post(f"/p/dms/assignments/{first.id}/accept").status_code == 200
    worked = previous.post(f"/p/dms/assignments/{first.id}/outcome", json={"outcome": "contacted"})
    assert worked.status_code == 200
    assert lead in ids_of(previous.get("/api/v1/prospects"))

    moved = client_as(network.router).post(
        f"/p/dms/leads/{lead}/route", json={"partner_id": network.bayern}
    )
    assert moved.status_code == 201, moved.text
    with crm.read() as conn:
        old = conn.execute(select(assignment).where(assignment.c.id == first.id)).one()
    # The old offer keeps the state it had: only its being closed says the lead went.
    assert (old.state, old.reason) == ("contacted", "rerouted") and old.closed_at is not None

    assert_lost_sight(previous, lead, first.id, "Umgeleitet")
    bea = client_as(network.bea)
    assert lead in ids_of(bea.get("/api/v1/prospects"))
    assert bea.get(f"/api/v1/parties/{lead}").status_code == 200
    with crm.read() as conn:
        state = conn.execute(select(assignment.c.state).where(assignment.c.id == first.id))
        assert state.scalar_one() == "contacted"


def test_a_lead_the_deadline_job_routes_on_leaves_the_previous_partners_sight(
    crm: Crm, client_as: Any, network: Network, route: RouteMaker, new_party: PartyMaker
) -> None:
    lead = new_party("prospect", first_name="Frieda", last_name="Fristlos")
    first = route(lead)
    with crm.transaction() as tx:
        tx.conn.execute(
            update(assignment)
            .where(assignment.c.id == first.id)
            .values(accept_by=utcnow() - timedelta(minutes=1))
        )
    assert route_on_expired(crm) == 1
    assert_lost_sight(client_as(user_of(network, first.partner_id)), lead, first.id, "Fristlos")


def test_a_partner_keeps_sight_of_the_leads_it_sold_or_lost(
    crm: Crm, client_as: Any, network: Network, route: RouteMaker, new_party: PartyMaker
) -> None:
    sold = route(new_party("prospect", last_name="Verkauft"), postcode="80331")
    bea = client_as(network.bea)
    assert bea.post(f"/p/dms/assignments/{sold.id}/outcome", json={"outcome": "sold"}).json()[
        "state"
    ] == ("sold")
    assert sold.party_id in ids_of(bea.get("/api/v1/prospects"))
    assert bea.get(f"/p/dms/portal/leads/{sold.id}").status_code == 200


@pytest.fixture
def deactivated(crm: Crm, client_as: Any, network: Network, route: RouteMaker) -> Any:
    """A lead offered to bayern, then bayern deactivated by staff; the offer."""
    offered = route(postcode="80331")
    assert offered.partner_id == network.bayern
    admin = client_as(network.router)
    version = admin.get(f"/p/dms/partners/{network.bayern}").json()["partner"]["version"]
    answer = admin.patch(
        f"/p/dms/partners/{network.bayern}", json={"active": False, "version": version}
    )
    assert answer.status_code == 200, answer.text
    return offered


def test_users_of_a_deactivated_partner_list_and_read_nothing(
    crm: Crm, client_as: Any, network: Network, deactivated: Any
) -> None:
    bea = client_as(network.bea)
    assert ids_of(bea.get("/p/dms/assignments")) == set()
    assert bea.get(f"/p/dms/assignments/{deactivated.id}").status_code == 404
    portal = bea.get("/p/dms/portal")
    assert portal.status_code == 200
    assert f"/p/dms/portal/leads/{deactivated.id}" not in portal.text
    assert bea.get(f"/p/dms/portal/leads/{deactivated.id}").status_code == 404
    assert ids_of(bea.get("/api/v1/prospects")) == set()
    with crm.transaction(network.bea) as tx:
        assert list_assignments(tx).items == []


def test_users_of_a_deactivated_partner_answer_nothing(
    crm: Crm, client_as: Any, network: Network, deactivated: Any
) -> None:
    bea = client_as(network.bea)
    for action, body in (
        ("accept", {}),
        ("decline", {"reason": "closing down"}),
        ("outcome", {"outcome": "sold"}),
    ):
        answer = bea.post(f"/p/dms/assignments/{deactivated.id}/{action}", json=body)
        assert answer.status_code == 404, (action, answer.text)
    assert bea.post(f"/p/dms/portal/leads/{deactivated.id}/accept").status_code == 404
    with pytest.raises(NotFound), crm.transaction(network.bea) as tx:
        accept(tx, deactivated.id)
    with crm.read() as conn:
        row = conn.execute(select(assignment).where(assignment.c.id == deactivated.id)).one()
    assert (row.state, row.version) == ("offered", 1)
