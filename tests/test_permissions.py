"""Roles and record-level rules: the role matrix, what each role sees, checks agreeing with filters."""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from typing import Any

import attrs
import pytest
from sqlalchemy import select

from crmkit import Actor, Permission, hookimpl
from crmkit.app import Crm
from crmkit.core.entities import User
from crmkit.core.errors import NotFound
from crmkit.core.parties import (
    build_party,
    create_party,
    get_party,
    list_parties,
)
from crmkit.core.permissions import is_allowed, visible
from crmkit.core.tables import interaction, party
from crmkit.core.territories import territory_key
from crmkit.core.users import create_user
from crmkit.core.values import PostalAddress
from crmkit.core.visible_records import visible_party
from crmkit.testing import http_client, register_plugin

ROLE_ACTORS = {
    role: Actor(user_id=100, username=role, role=role)
    for role in ("admin", "manager", "sales", "service", "marketing", "read-only")
}


@pytest.mark.parametrize(
    ("role", "action", "allowed"),
    [
        ("sales", "core:party.convert", True),
        ("sales", "core:party.merge", False),
        ("manager", "core:party.merge", True),
        ("service", "core:party.convert", False),
        ("service", "core:interaction.write", True),
        ("marketing", "core:party.write", True),
        ("marketing", "core:interaction.read", False),
        ("read-only", "core:party.read", True),
        ("read-only", "core:party.write", False),
        ("read-only", "core:interaction.write", False),
        ("manager", "core:user.admin", False),
        ("admin", "core:user.admin", True),
        ("sales", "core:no.such-action", False),
    ],
)
def test_role_matrix_grants_each_role_its_actions(
    crm: Crm, role: str, action: str, allowed: bool
) -> None:
    assert is_allowed(crm.host, ROLE_ACTORS[role], action) is allowed


def test_a_role_unknown_to_the_matrix_may_do_nothing(crm: Crm) -> None:
    stranger = Actor(user_id=7, username="x", role="intern")
    assert not is_allowed(crm.host, stranger, "core:party.read")


def test_plugin_permission_is_granted_to_the_roles_it_names(make_crm: Callable[..., Crm]) -> None:
    declared = types.SimpleNamespace(
        register_permissions=hookimpl(
            lambda: [Permission("quotes:approve", "Approve quotes", ("manager", "sales"))]
        )
    )
    app = make_crm(plugins=[register_plugin(declared, name="quotes")], create_tables=False)
    assert is_allowed(app.host, ROLE_ACTORS["sales"], "quotes:approve")
    assert not is_allowed(app.host, ROLE_ACTORS["service"], "quotes:approve")
    # An admin may do everything, also what a plugin grants to other roles only.
    assert is_allowed(app.host, ROLE_ACTORS["admin"], "quotes:approve")


def _listed(crm: Crm, actor: Actor) -> set[int]:
    with crm.read() as conn:
        return {
            p.id
            for role in ("prospect", "customer")
            for p in list_parties(
                conn, role, conditions=[visible(crm.host, actor, role, party)], limit=500
            ).items
        }


@pytest.mark.parametrize("name", ["ada", "mia", "sam", "sue", "sid", "max", "rob"])
def test_each_role_lists_exactly_the_parties_its_rules_allow(
    crm: Crm, world: Any, name: str
) -> None:
    assert _listed(crm, world.actors[name]) == world.visible_ids(name)


def test_salesperson_sees_by_first_address_only(crm: Crm, world: Any) -> None:
    # ada_de2's second address is in sam's territory, its first is not.
    assert world.parties["ada_de2"] not in _listed(crm, world.actors["sam"])


def test_salesperson_sees_by_postal_address_not_by_an_email_spelled_like_a_territory(
    crm: Crm, world: Any
) -> None:
    with crm.transaction() as tx:
        data = {"last_name": "Mailonly", "emails": ["de-10115@example.org"]}
        created = create_party(tx, build_party("prospect", data, region="DE"))
    assert created.id not in _listed(crm, world.actors["sam"])


@pytest.mark.parametrize("name", ["ada", "mia", "sam", "sue", "sid", "max", "rob"])
def test_record_check_with_a_connection_agrees_with_the_list_filter(
    crm: Crm, world: Any, name: str
) -> None:
    actor = world.actors[name]
    with crm.read() as conn:
        for party_name, party_id in world.parties.items():
            record = get_party(conn, party_id)
            sees = is_allowed(crm.host, actor, "core:party.read", record, conn=conn)
            assert sees is (party_name in world.sees[name]), party_name


@pytest.mark.parametrize("name", ["ada", "sam", "sue", "sid", "max", "rob"])
def test_record_check_without_a_connection_agrees_for_rules_decided_by_the_record(
    crm: Crm, world: Any, name: str
) -> None:
    actor = world.actors[name]
    with crm.read() as conn:
        records = {n: get_party(conn, i) for n, i in world.parties.items()}
    for party_name, record in records.items():
        sees = is_allowed(crm.host, actor, "core:party.read", record)
        assert sees is (party_name in world.sees[name]), party_name


def test_a_manager_sees_a_teammate_s_records_and_those_of_a_report_in_another_team(
    crm: Crm, world: Any
) -> None:
    mia = world.actors["mia"]
    with crm.transaction() as tx:
        teammate = create_user(
            tx, User(username="tia", display_name="Tia", role="sales", team="north")
        )
        report = create_user(
            tx,
            User(
                username="rex",
                display_name="Rex",
                role="sales",
                team="south",
                manager_id=mia.user_id,
            ),
        )
        owned = {
            create_party(
                tx,
                build_party("prospect", {"last_name": u.username, "owner_id": u.id}, region="DE"),
            ).id
            for u in (teammate, report)
        }
    assert _listed(crm, mia) == world.visible_ids("mia") | owned


def test_a_manager_without_a_team_shares_none_with_the_users_without_one(
    crm: Crm, world: Any
) -> None:
    with crm.transaction() as tx:
        nina = create_user(tx, User(username="nina", display_name="Nina", role="manager"))
    manager = Actor(user_id=nina.id, username="nina", role="manager")
    # ada has no team either: no team is nothing in common.
    assert _listed(crm, manager) == {world.parties["unowned_fr"]}
    with crm.read() as conn:
        record = get_party(conn, world.parties["ada_de2"])
        assert not is_allowed(crm.host, manager, "core:party.read", record, conn=conn)


@pytest.mark.parametrize("role", ["sales", "manager"])
def test_a_seller_who_is_no_user_sees_no_record_not_even_an_unowned_one(
    crm: Crm, world: Any, role: str
) -> None:
    nobody = Actor(user_id=None, username="token", role=role, team="north")
    assert _listed(crm, nobody) == set()
    with crm.read() as conn:
        record = get_party(conn, world.parties["unowned_fr"])
        assert not is_allowed(crm.host, nobody, "core:party.read", record, conn=conn)
    assert not is_allowed(crm.host, nobody, "core:party.read", record)


def test_manager_team_rule_needs_the_connection_and_denies_without_one(
    crm: Crm, world: Any
) -> None:
    mia = world.actors["mia"]
    with crm.read() as conn:
        team_record = get_party(conn, world.parties["sam_own"])
        assert is_allowed(crm.host, mia, "core:party.write", team_record, conn=conn)
        own_and_unowned = [get_party(conn, world.parties[n]) for n in ("mia_own", "unowned_fr")]
    assert not is_allowed(crm.host, mia, "core:party.write", team_record)
    # Their own records and the unowned ones need no look-up.
    assert all(is_allowed(crm.host, mia, "core:party.write", r) for r in own_and_unowned)


def test_a_record_being_created_is_decided_by_the_role_s_grant_alone(crm: Crm, world: Any) -> None:
    # Entered for a colleague of another team, it is not the salesperson's to see afterwards.
    data = {"last_name": "New", "owner_id": world.actors["sue"].user_id}
    entered = build_party("customer", data, region="DE")
    assert is_allowed(crm.host, world.actors["sam"], "core:party.write", entered)
    assert not is_allowed(crm.host, world.actors["rob"], "core:party.write", entered)


def test_read_only_may_not_write_even_records_it_sees(crm: Crm, world: Any) -> None:
    with crm.read() as conn:
        record = get_party(conn, world.parties["mia_own"])
        rob = world.actors["rob"]
        assert is_allowed(crm.host, rob, "core:party.read", record, conn=conn)
        assert not is_allowed(crm.host, rob, "core:party.write", record, conn=conn)


def test_a_plugin_granting_an_action_cannot_widen_what_a_role_sees(
    make_crm: Callable[..., Crm], world: Any
) -> None:
    generous = types.SimpleNamespace(permission_check=hookimpl(lambda actor, action: True))
    app = make_crm(plugins=[register_plugin(generous, name="generous")])
    with app.read() as conn:
        record = get_party(conn, world.parties["sue_own"])
        assert not is_allowed(app.host, world.actors["sam"], "core:party.write", record, conn=conn)


def test_visibility_is_decided_once_per_actor_and_again_for_a_changed_actor(
    make_crm: Callable[..., Crm], world: Any
) -> None:
    asked: list[str] = []

    def permission_filter(actor: Actor, entity_type: str, table: Any) -> None:
        asked.append(entity_type)

    counting = types.SimpleNamespace(permission_filter=hookimpl(permission_filter))
    app = make_crm(plugins=[register_plugin(counting, name="counting")])
    sam, party_id = world.actors["sam"], world.parties["sam_territory"]
    with app.read() as conn:
        for _ in range(3):
            assert visible_party(app, conn, sam, party_id).id == party_id
        assert sorted(asked) == ["customer", "prospect"]
        # Territories are part of the actor: a reassigned salesperson is judged anew.
        moved = attrs.evolve(sam, territories=("FR",))
        with pytest.raises(NotFound):
            visible_party(app, conn, moved, party_id)
        assert len(asked) == 4


@pytest.mark.parametrize("name", ["ada", "mia", "sam", "sue", "sid", "max", "rob"])
def test_interactions_are_listed_exactly_when_their_party_is_visible(
    crm: Crm, world: Any, name: str
) -> None:
    actor = world.actors[name]
    with crm.read() as conn:
        seen = set(
            conn.execute(
                select(interaction.c.id).where(visible(crm.host, actor, "interaction", interaction))
            ).scalars()
        )
    expected = set() if actor.role == "marketing" else world.sees[name]
    assert seen == {world.interactions[n] for n in expected}


@pytest.mark.parametrize("name", ["ada", "mia", "sam", "sue", "sid", "max", "rob"])
def test_parties_of_either_role_are_filtered_alike_as_the_entity_type_party(
    crm: Crm, world: Any, name: str
) -> None:
    actor = world.actors[name]
    with crm.read() as conn:
        seen = set(
            conn.execute(select(party.c.id).where(visible(crm.host, actor, "party", party)))
            .scalars()
            .all()
        )
    assert seen == world.visible_ids(name)


@pytest.mark.parametrize(
    ("territory", "postcode", "matches"),
    [
        ("DE", "10115", True),
        ("DE-10", "10115", True),
        ("DE-1", "20095", False),
        ("D", "10115", False),  # a bare country must be the whole country code
        ("de-10", "10115", True),
    ],
)
def test_territory_matches_country_and_postcode_prefix(
    make_crm: Callable[..., Crm], territory: str, postcode: str, matches: bool
) -> None:
    app = make_crm()
    seller = Actor(user_id=1, username="s", role="sales", territories=(territory,))
    with app.transaction() as tx:
        data = {"last_name": "T", "addresses": [{"postcode": postcode, "country": "DE"}]}
        created = create_party(tx, build_party("customer", data, region="DE"))
    assert territory_key(PostalAddress(postcode=postcode, country="DE")) == f"DE-{postcode}"
    assert (created.id in _listed(app, seller)) is matches
    assert is_allowed(app.host, seller, "core:party.read", created) is matches


def test_manager_finds_and_edits_team_records_through_the_api(
    world: Any, client_as: Callable[..., Any]
) -> None:
    team_record = world.parties["sam_own"]
    with client_as(world.actors["mia"]) as client:
        found = client.get("/api/v1/lookup", params={"phone": world.shared_phone}).json()
        changed = client.patch(
            f"/api/v1/prospects/{team_record}", json={"first_name": "Samantha", "version": 1}
        )
    assert {p["id"] for p in found} == world.visible_ids("mia")
    assert changed.status_code == 200, changed.text


def test_salesperson_cannot_edit_a_record_outside_their_own_and_territory(
    world: Any, client_as: Callable[..., Any]
) -> None:
    with client_as(world.actors["sam"]) as client:
        refused = client.patch(
            f"/api/v1/prospects/{world.parties['sue_own']}", json={"first_name": "X", "version": 1}
        )
    assert refused.status_code == 404


def test_manager_cannot_merge_a_record_out_of_sight_into_their_own(
    crm: Crm, world: Any, client_as: Callable[..., Any]
) -> None:
    theirs = world.parties["sue_own"]
    with client_as(world.actors["mia"]) as client:
        merged = client.post(
            f"/api/v1/parties/{world.parties['mia_own']}/merge", json={"merged_id": theirs}
        )
    assert merged.status_code == 404
    with crm.read() as conn:
        assert get_party(conn, theirs).id == theirs


def test_the_dashboard_counts_only_what_the_actor_may_see(
    world: Any, client_as: Callable[..., Any]
) -> None:
    with client_as(world.actors["sam"]) as client:
        home = client.get("/").text
    counts = re.findall(r"<li><strong>(\d+)</strong> (\w+)</li>", home)
    assert set(counts) == {("1", "customers"), ("1", "prospects"), ("2", "interactions")}


def test_salesperson_cannot_log_an_interaction_on_a_record_out_of_sight(
    crm: Crm, world: Any, client_as: Callable[..., Any]
) -> None:
    theirs = world.parties["sue_own"]
    call = {"party_id": theirs, "channel": "phone", "direction": "inbound"}
    with client_as(world.actors["sam"]) as client:
        refused = client.post("/api/v1/interactions", json=call)
    assert refused.status_code == 404
    with crm.read() as conn:
        logged = conn.execute(select(interaction.c.id).where(interaction.c.party_id == theirs))
        assert list(logged.scalars()) == [world.interactions["sue_own"]]


def test_a_record_a_plugin_hides_from_its_readers_is_not_found_when_read_alone(
    make_crm: Callable[..., Crm], world: Any
) -> None:
    secret = world.parties["mia_own"]

    def permission_check(action: str, resource: Any) -> bool | None:
        hidden = action == "core:party.read" and getattr(resource, "id", None) == secret
        return False if hidden else None

    guard = types.SimpleNamespace(permission_check=hookimpl(permission_check))
    app = make_crm(plugins=[register_plugin(guard, name="guard")])
    with app.read() as conn, pytest.raises(NotFound):
        visible_party(app, conn, world.actors["ada"], secret)


def test_roles_without_the_grant_may_not_write_to_records_they_see_through_the_api(
    crm: Crm, world: Any, client_as: Callable[..., Any]
) -> None:
    prospect, customer = world.parties["sam_own"], world.parties["mia_own"]
    call = {"party_id": customer, "channel": "phone", "direction": "inbound"}
    with client_as(world.actors["rob"]) as client:
        refused = [
            client.patch(f"/api/v1/customers/{customer}", json={"last_name": "X", "version": 1}),
            client.delete(f"/api/v1/customers/{customer}", params={"version": 1}),
            client.post("/api/v1/interactions", json=call),
        ]
    # Marketing edits prospects and customers, but neither converts them nor logs calls.
    with client_as(world.actors["max"]) as client:
        refused += [
            client.post(f"/api/v1/prospects/{prospect}/convert", json={}),
            client.post("/api/v1/interactions", json=call),
        ]
    assert [r.status_code for r in refused] == [403] * 5
    with crm.read() as conn:
        assert get_party(conn, customer).version == 1
        assert get_party(conn, prospect).role == "prospect"
        assert len(conn.execute(select(interaction.c.id)).all()) == len(world.interactions)


def test_a_plugin_s_veto_on_one_record_is_obeyed_when_it_is_created_or_merged(
    make_crm: Callable[..., Crm], world: Any
) -> None:
    locked = world.parties["mia_own"]

    def permission_check(action: str, resource: Any) -> bool | None:
        if action not in ("core:party.write", "core:party.merge") or resource is None:
            return None
        return False if resource.id == locked or resource.last_name == "Locked" else None

    guard = types.SimpleNamespace(permission_check=hookimpl(permission_check))
    admin = types.SimpleNamespace(actor_from_request=hookimpl(lambda: world.actors["ada"]))
    app = make_crm(
        plugins=[register_plugin(guard, name="guard"), register_plugin(admin, name="signon")]
    )
    survivor = world.parties["sam_own"]
    with http_client(app) as client:
        created = client.post("/api/v1/customers", json={"last_name": "Locked"})
        merged = client.post(f"/api/v1/parties/{survivor}/merge", json={"merged_id": locked})
        merged_into = client.post(f"/api/v1/parties/{locked}/merge", json={"merged_id": survivor})
    assert [r.status_code for r in (created, merged, merged_into)] == [403] * 3
    with app.read() as conn:
        assert get_party(conn, locked).id == locked
