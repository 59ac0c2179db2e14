"""Who sees and edits which opportunities and activities: own, territory, team; over HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from crmkit_sfa.pipeline import activities, service
from crmkit_sfa.pipeline.tables import activity, opportunity
from sqlalchemy import select

from crmkit import SYSTEM, Actor, Crm, is_allowed, utcnow, visible
from crmkit.testing import http_client

if TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import PartyMaker, SalesRows, SalesTeam, UserMaker


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


def test_a_manager_sees_a_teammate_s_deals_and_those_of_a_report_in_another_team(
    crm: Crm,
    team: SalesTeam,
    deals: dict[str, int],
    new_user: UserMaker,
    new_party: PartyMaker,
    crm_as: Callable[[Actor], Crm],
) -> None:
    teammate = new_user("tia", "sales", team="north")
    report = new_user("rex", "sales", team="south", manager_id=team.manager.user_id)
    for seller in (teammate, report):
        party = new_party()
        with crm.transaction(seller) as tx:
            service.create_opportunity(tx, {"party_id": party, "title": seller.username})
    seen = titles(crm_as(team.manager), "/p/sfa/opportunities")
    assert seen == {"seller", "territory_seller", "tia", "rex"}


def test_a_manager_without_a_team_shares_none_with_sellers_without_one(
    crm: Crm, new_user: UserMaker, new_party: PartyMaker, crm_as: Callable[[Actor], Crm]
) -> None:
    manager = new_user("nina", "manager")
    found = {}
    for seller in (new_user("ray", "sales", manager_id=manager.user_id), new_user("lou", "sales")):
        party = new_party()
        with crm.transaction(seller) as tx:
            found[seller.username] = service.create_opportunity(
                tx, {"party_id": party, "title": seller.username}
            ).id
    assert titles(crm_as(manager), "/p/sfa/opportunities") == {"ray"}
    with http_client(crm_as(manager)) as client:
        assert client.get(f"/p/sfa/opportunities/{found['lou']}").status_code == 404


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
        assert client.get("/p/sfa/activities").status_code == 403
    with http_client(crm_as(reader)) as client:
        assert len(client.get("/p/sfa/opportunities").json()) == 4
        assert (
            client.post(f"/p/sfa/opportunities/{deals['seller']}/won", json={}).status_code == 403
        )


@pytest.mark.parametrize("role", ["system", "admin", "read-only"])
def test_admins_readers_and_the_system_see_every_opportunity(
    deals: dict[str, int], crm_as: Callable[[Actor], Crm], role: str
) -> None:
    actor = SYSTEM if role == "system" else Actor(user_id=None, username=role, role=role)
    assert titles(crm_as(actor), "/p/sfa/opportunities") == set(deals)


def test_a_manager_sees_the_unowned_opportunities_to_assign_them(
    team: SalesTeam, rows: SalesRows, crm_as: Callable[[Actor], Crm]
) -> None:
    rows.opportunity(None, title="Nobody's")
    assert titles(crm_as(team.manager), "/p/sfa/opportunities") == {"Nobody's"}
    assert titles(crm_as(team.seller), "/p/sfa/opportunities") == set()


def seen_by(crm: Crm, actor: Actor) -> list[tuple[str, int]]:
    """``(entity type, id)`` of the opportunities and activities the filters let ``actor`` see."""
    kinds = {"sfa.opportunity": opportunity, "sfa.activity": activity}
    with crm.read() as conn:
        return [
            (entity, found)
            for entity, table in kinds.items()
            for found in conn.execute(
                select(table.c.id).where(visible(crm.host, actor, entity, table))
            ).scalars()
        ]


def test_roles_other_than_sellers_see_nothing_not_even_what_they_own(
    crm: Crm, new_user: UserMaker, rows: SalesRows
) -> None:
    agent = new_user("sid", "service")
    rows.opportunity(agent.user_id, title="Handed over")
    rows.activity(agent.user_id, utcnow(), subject="Call back")
    assert seen_by(crm, agent) == []


@pytest.mark.parametrize("role", ["sales", "manager"])
def test_a_seller_who_is_no_user_sees_nothing_not_even_what_nobody_owns(
    crm: Crm, rows: SalesRows, role: str
) -> None:
    rows.opportunity(None, title="Nobody's")
    rows.activity(None, utcnow(), subject="Nobody's call")
    assert seen_by(crm, Actor(user_id=None, username="token", role=role)) == []


def test_without_a_connection_only_ownership_decides(
    crm: Crm, team: SalesTeam, deals: dict[str, int]
) -> None:
    with crm.read() as conn:
        own = service.get_opportunity(conn, deals["seller"])
        teammates = service.get_opportunity(conn, deals["territory_seller"])
        assert is_allowed(crm.host, team.manager, "sfa:opportunity.write", teammates, conn=conn)
    assert is_allowed(crm.host, team.seller, "sfa:opportunity.write", own)
    # The team rule needs the database: without it, deny rather than guess.
    assert not is_allowed(crm.host, team.manager, "sfa:opportunity.write", teammates)


def test_the_activity_list_holds_the_actor_s_own_unless_asked_for_others(
    team: SalesTeam, rows: SalesRows, crm_as: Callable[[Actor], Crm]
) -> None:
    rows.activity(team.seller.user_id, utcnow(), subject="Sam's call")
    rows.activity(team.manager.user_id, utcnow(), subject="Mona's call")
    manager = crm_as(team.manager)
    assert titles_of(manager, "/p/sfa/activities") == {"Mona's call"}
    others = f"/p/sfa/activities?owner_id={team.seller.user_id}"
    assert titles_of(manager, others) == {"Sam's call"}


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


def test_a_deal_out_of_sight_cannot_be_referred_to_even_with_a_party_in_sight(
    crm: Crm, team: SalesTeam, new_party: PartyMaker, crm_as: Callable[[Actor], Crm]
) -> None:
    mine = new_party(owner_id=team.seller.user_id)
    with crm.transaction(team.outsider) as tx:
        theirs = service.create_opportunity(tx, {"party_id": mine, "title": "Theirs"}).id
    call = {"party_id": mine, "opportunity_id": theirs, "kind": "call", "subject": "Hello"}
    with http_client(crm_as(team.seller)) as client:
        refused = client.post("/p/sfa/activities", json=call)
    assert refused.status_code == 422 and refused.json()["field"] == "opportunity_id"
    with crm.read() as conn:
        assert activities.activities_of_opportunity(conn, theirs) == []


def test_nobody_creates_what_they_could_not_reach_afterwards(
    crm: Crm, team: SalesTeam, new_party: PartyMaker, crm_as: Callable[[Actor], Crm]
) -> None:
    mine = new_party(owner_id=team.seller.user_id)
    theirs = {"owner_id": team.outsider.user_id}
    with http_client(crm_as(team.seller)) as client:
        deal = client.post("/p/sfa/opportunities", json={"party_id": mine, "title": "X", **theirs})
        call = client.post(
            "/p/sfa/activities", json={"party_id": mine, "kind": "call", "subject": "X", **theirs}
        )
    assert (deal.status_code, call.status_code) == (403, 403)
    with crm.read() as conn:
        assert service.opportunities_of_party(conn, mine) == []
        assert conn.execute(select(activity.c.id).where(activity.c.party_id == mine)).all() == []
