"""Roles and record-level rules: the role matrix, what each role sees, checks agreeing with filters."""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

import attrs
import pytest
from sqlalchemy import select

from crmkit import Actor, Permission, hookimpl
from crmkit.app import Crm
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
from crmkit.core.values import PostalAddress
from crmkit.testing import register_plugin
from crmkit.web.listing import visible_party

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


def test_manager_team_rule_needs_the_connection_and_denies_without_one(
    crm: Crm, world: Any
) -> None:
    with crm.read() as conn:
        team_record = get_party(conn, world.parties["sam_own"])
        assert is_allowed(crm.host, world.actors["mia"], "core:party.write", team_record, conn=conn)
    assert not is_allowed(crm.host, world.actors["mia"], "core:party.write", team_record)


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
