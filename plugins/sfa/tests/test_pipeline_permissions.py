"""Who sees and edits which opportunities and activities: own, territory, team; over HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from crmkit_sfa.pipeline import activities, service

from crmkit import Actor, Crm
from crmkit.testing import http_client

if TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import PartyMaker, SalesTeam


@pytest.fixture
def deals(crm: Crm, team: SalesTeam, new_party: PartyMaker) -> dict[str, int]:
    """One opportunity per owner; the outsider's is in Berlin (territory DE-10117)."""
    berlin = new_party()
    munich = new_party(
        addresses=[
            {"street": "Marienplatz 1", "postcode": "80331", "city": "Munich", "country": "DE"}
        ]
    )
    found = {}
    for name, actor, party in (
        ("seller", team.seller, munich),
        ("territory_seller", team.territory_seller, munich),
        ("outsider_in_berlin", team.outsider, berlin),
        ("outsider_in_munich", team.outsider, munich),
    ):
        with crm.transaction(actor) as tx:
            found[name] = service.create_opportunity(tx, {"party_id": party, "title": name}).id
    return found


def titles(crm: Crm, path: str) -> set[str]:
    with http_client(crm) as client:
        response = client.get(path)
    assert response.status_code == 200, response.text
    return {item["title"] for item in response.json()}


@pytest.mark.parametrize(
    ("who", "seen"),
    [
        ("seller", {"seller"}),
        ("territory_seller", {"territory_seller", "outsider_in_berlin"}),
        ("manager", {"seller", "territory_seller"}),
        ("outsider", {"outsider_in_berlin", "outsider_in_munich"}),
    ],
)
def test_list_holds_own_territory_and_team_opportunities(
    team: SalesTeam, deals: dict[str, int], crm_as: Callable[[Actor], Crm], who: str, seen: set[str]
) -> None:
    assert titles(crm_as(getattr(team, who)), "/p/sfa/opportunities") == seen


def test_an_unseen_opportunity_is_not_found_and_cannot_be_changed(
    crm: Crm, team: SalesTeam, deals: dict[str, int], crm_as: Callable[[Actor], Crm]
) -> None:
    theirs = deals["outsider_in_munich"]
    with http_client(crm_as(team.seller)) as client:
        assert client.get(f"/p/sfa/opportunities/{theirs}").status_code == 404
        changed = client.patch(f"/p/sfa/opportunities/{theirs}", json={"title": "Mine now"})
        won = client.post(f"/p/sfa/opportunities/{theirs}/won", json={})
    assert (changed.status_code, won.status_code) == (404, 404)
    with crm.read() as conn:
        stored = service.get_opportunity(conn, theirs)
    assert (stored.title, stored.status) == ("outsider_in_munich", "open")
    # The manager edits the team's opportunities.
    with http_client(crm_as(team.manager)) as client:
        response = client.patch(f"/p/sfa/opportunities/{deals['seller']}", json={"source": "fair"})
    assert response.status_code == 200 and response.json()["source"] == "fair"


def test_roles_without_the_permission_are_forbidden(
    crm: Crm, deals: dict[str, int], crm_as: Callable[[Actor], Crm]
) -> None:
    service_agent = Actor(user_id=None, username="sue", role="service")
    reader = Actor(user_id=None, username="rita", role="read-only")
    with http_client(crm_as(service_agent)) as client:
        assert client.get("/p/sfa/opportunities").status_code == 403
    with http_client(crm_as(reader)) as client:
        assert len(client.get("/p/sfa/opportunities").json()) == 4
        assert (
            client.post(f"/p/sfa/opportunities/{deals['seller']}/won", json={}).status_code == 403
        )


def test_activities_follow_their_opportunity_and_owner(
    crm: Crm, team: SalesTeam, deals: dict[str, int], crm_as: Callable[[Actor], Crm]
) -> None:
    with crm.read() as conn:
        deal = service.get_opportunity(conn, deals["outsider_in_berlin"])
    with crm.transaction(team.outsider) as tx:
        call = activities.create_activity(
            tx,
            {
                "party_id": deal.party_id,
                "opportunity_id": deal.id,
                "kind": "call",
                "subject": "Ring",
            },
        )
    query = f"/p/sfa/activities?party_id={deal.party_id}"
    # Tara works the deal's territory; Sam does not, and the manager's team does not own it.
    assert titles_of(crm_as(team.territory_seller), query) == {"Ring"}
    assert titles_of(crm_as(team.seller), query) == set()
    assert titles_of(crm_as(team.manager), query) == set()
    with http_client(crm_as(team.seller)) as client:
        assert client.post(f"/p/sfa/activities/{call.id}/complete", json={}).status_code == 404


def titles_of(crm: Crm, path: str) -> set[str]:
    with http_client(crm) as client:
        response = client.get(path)
    assert response.status_code == 200, response.text
    return {item["subject"] for item in response.json()}


def test_parties_and_deals_out_of_sight_cannot_be_referred_to(
    crm: Crm,
    team: SalesTeam,
    deals: dict[str, int],
    new_party: PartyMaker,
    crm_as: Callable[[Actor], Crm],
) -> None:
    theirs = new_party(owner_id=team.outsider.user_id, organisation_name="Secret AG")
    with http_client(crm_as(team.seller)) as client:
        deal = client.post("/p/sfa/opportunities", json={"party_id": theirs, "title": "Mine?"})
        call = client.post(
            "/p/sfa/activities",
            json={
                "party_id": theirs,
                "opportunity_id": deals["outsider_in_munich"],
                "kind": "call",
                "subject": "Hello",
            },
        )
        form = client.get(f"/p/sfa/opportunities/new?party_id={theirs}")
    assert deal.status_code == 422 and deal.json()["field"] == "party_id"
    assert call.status_code == 422 and call.json()["field"] == "party_id"
    assert form.status_code == 404 and "Secret AG" not in form.text
    with crm.read() as conn:
        assert service.opportunities_of_party(conn, theirs) == []
