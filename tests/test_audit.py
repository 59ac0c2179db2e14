"""The audit trail: every change of a party, interaction or user, who made it, and from what to what."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from crmkit import Actor, ConflictError, User
from crmkit.app import Crm
from crmkit.core import auth
from crmkit.core.audit import history
from crmkit.core.interactions import build_interaction, log_interaction
from crmkit.core.parties import (
    build_party,
    convert_prospect,
    create_party,
    merge_parties,
    update_party,
)
from crmkit.core.privacy import erase_party
from crmkit.core.tables import api_token, password
from crmkit.core.users import create_user, update_user

SAM = Actor(user_id=None, username="sam", role="admin")


def add(crm: Crm, role: str = "prospect", **data: Any) -> int:
    with crm.transaction(SAM) as tx:
        created = create_party(tx, build_party(role, {"last_name": "Ng", **data}, region="DE"))
    assert created.id is not None
    return created.id


def test_creating_a_party_records_who_created_it_and_every_value_set(crm: Crm) -> None:
    party_id = add(crm, emails=["ng@example.org"])
    with crm.read() as conn:
        [entry] = history(conn, "party", party_id)
    assert (entry.action, entry.actor_name, entry.entity_id) == ("created", "sam", str(party_id))
    assert entry.changes["last_name"] == [None, "Ng"]
    assert entry.changes["emails"] == [None, ["ng@example.org"]]
    assert "first_name" not in entry.changes  # unset fields are not changes


def test_update_records_only_the_fields_that_changed_from_and_to(crm: Crm) -> None:
    party_id = add(crm, first_name="Lee")
    with crm.transaction(Actor(user_id=None, username="mia", role="admin")) as tx:
        update_party(tx, party_id, {"first_name": "Li", "phones": ["030 1234567"]}, 1, region="DE")
    with crm.read() as conn:
        latest = history(conn, "party", party_id)[0]
    assert latest.action == "updated" and latest.actor_name == "mia"
    assert latest.changes == {
        "first_name": ["Lee", "Li"],
        "phones": [[], ["+49301234567"]],
    }


def test_stale_update_leaves_no_trace_in_the_trail(crm: Crm) -> None:
    party_id = add(crm)
    with pytest.raises(ConflictError), crm.transaction(SAM) as tx:
        update_party(tx, party_id, {"first_name": "X"}, 7, region="DE")
    with crm.read() as conn:
        assert [e.action for e in history(conn, "party", party_id)] == ["created"]


def test_conversion_continues_the_same_history_and_records_the_new_role(crm: Crm) -> None:
    party_id = add(crm)
    with crm.transaction(SAM) as tx:
        convert_prospect(tx, party_id, customer_number="C-1")
    with crm.read() as conn:
        entries = history(conn, "party", party_id)
    assert [e.action for e in entries] == ["converted", "created"]
    assert entries[0].changes["role"] == ["prospect", "customer"]
    assert entries[0].changes["customer_number"] == [None, "C-1"]


def test_merge_is_recorded_on_the_survivor_and_on_the_merged_party(crm: Crm) -> None:
    survivor, merged = add(crm), add(crm, emails=["dup@example.org"])
    with crm.transaction(SAM) as tx:
        merge_parties(tx, survivor, merged)
    with crm.read() as conn:
        kept, gone = history(conn, "party", survivor)[0], history(conn, "party", merged)[0]
    assert kept.action == "merged" and kept.changes["merged_id"] == [None, merged]
    assert kept.changes["emails"] == [[], ["dup@example.org"]]
    assert gone.action == "merged" and gone.changes == {"survivor_id": [None, survivor]}


def test_users_and_interactions_have_their_trail_too(crm: Crm) -> None:
    with crm.transaction(SAM) as tx:
        created = create_user(tx, User(username="rob", display_name="Rob"))
        assert created.id is not None
        update_user(tx, created.id, {"team": "north"}, 1)
    party_id = add(crm)
    with crm.transaction(SAM) as tx:
        data = {"party_id": party_id, "channel": "phone", "direction": "inbound", "summary": "Hi"}
        logged = log_interaction(tx, build_interaction(data))
    with crm.read() as conn:
        user_trail = history(conn, "user", created.id)
        [call] = history(conn, "interaction", logged.id)
    assert [e.action for e in user_trail] == ["updated", "created"]
    assert user_trail[0].changes == {"team": [None, "north"]}
    assert call.action == "created" and call.changes["summary"] == [None, "Hi"]


def test_erasure_forgets_the_values_but_keeps_who_changed_the_record_when(crm: Crm) -> None:
    party_id = add(crm, emails=["gone@example.org"])
    with crm.transaction(SAM) as tx:
        data = {"party_id": party_id, "channel": "phone", "direction": "inbound", "summary": "Hi"}
        logged = log_interaction(tx, build_interaction(data))
        erase_party(tx, party_id)
    with crm.read() as conn:
        entries = history(conn, "party", party_id)
        [call] = history(conn, "interaction", logged.id)
    assert [(e.action, e.changes) for e in entries] == [("erased", {}), ("created", {})]
    assert call.changes == {}


def test_api_serves_the_trail_of_a_party_newest_first(
    crm: Crm, client_as: Callable[..., Any]
) -> None:
    party_id = add(crm, first_name="Lee")
    with crm.transaction(SAM) as tx:
        update_party(tx, party_id, {"first_name": "Li"}, 1, region="DE")
    with client_as(Actor(user_id=None, username="rob", role="read-only")) as client:
        response = client.get(f"/api/v1/parties/{party_id}/audit")
    assert response.status_code == 200, response.text
    body = response.json()
    assert [e["action"] for e in body] == ["updated", "created"]
    assert body[0]["changes"] == {"first_name": ["Lee", "Li"]} and body[0]["actor_name"] == "sam"


def test_api_hides_the_trail_of_a_party_the_actor_may_not_see(
    crm: Crm, client_as: Callable[..., Any]
) -> None:
    party_id = add(crm)
    stranger = Actor(user_id=99, username="sue", role="sales", territories=("FR",))
    with client_as(stranger) as client:
        response = client.get(f"/api/v1/parties/{party_id}/audit")
    assert response.status_code == 404


def test_api_refuses_the_trail_to_a_role_without_audit_permission(
    crm: Crm, client_as: Callable[..., Any]
) -> None:
    party_id = add(crm)
    call = logged_call(crm, party_id)
    with client_as(Actor(user_id=5, username="max", role="marketing")) as client:
        response = client.get(f"/api/v1/parties/{party_id}/audit")
        of_the_call = client.get(f"/api/v1/interactions/{call}/audit")
    assert response.status_code == of_the_call.status_code == 403


def logged_call(crm: Crm, party_id: int) -> int:
    with crm.transaction(SAM) as tx:
        data = {"party_id": party_id, "channel": "phone", "direction": "inbound", "summary": "Hi"}
        logged = log_interaction(tx, build_interaction(data))
    assert logged.id is not None
    return logged.id


def test_a_users_trail_says_when_password_and_tokens_changed_never_their_secrets(crm: Crm) -> None:
    with crm.transaction(SAM) as tx:
        created = create_user(tx, User(username="rob", display_name="Rob"))
        assert created.id is not None
        auth.set_password(tx, created.id, "a long enough secret")
        kept = auth.create_token(tx, "rob", "ERP connector", ["write"])
        revoked = auth.create_token(tx, "rob", "old laptop")
        auth.revoke_token(tx, revoked.prefix)
    with crm.transaction(SAM) as tx:
        auth.deactivate_user(tx, "rob")
    with crm.read() as conn:
        trail = history(conn, "user", created.id)
        secrets = [
            *conn.execute(select(password.c.hash)).scalars(),
            *conn.execute(select(api_token.c.secret_hash)).scalars(),
        ]

    changes = [e.changes for e in reversed(trail)]  # oldest first
    assert trail[-1].action == "created" and {e.actor_name for e in trail} == {"sam"}
    assert changes[1].keys() == {"password_changed_at"}
    assert changes[1]["password_changed_at"][0] is None
    assert changes[2] == {
        f"api_token {kept.prefix}": [
            None,
            {"name": "ERP connector", "scopes": ["write"], "expires_at": None},
        ]
    }
    assert changes[3].keys() == {f"api_token {revoked.prefix}"}
    assert changes[4].keys() == {f"api_token {revoked.prefix} revoked_at"}
    # Deactivation: the user's change, then the tokens it revoked (only those still valid).
    assert changes[5] == {"active": [True, False]}
    assert changes[6].keys() == {f"api_token {kept.prefix} revoked_at"}
    written = json.dumps([e.changes for e in trail])
    for secret in [kept.token, revoked.token, "a long enough secret", *secrets]:
        assert secret not in written


def test_a_new_password_ends_the_users_sessions(crm: Crm) -> None:
    with crm.transaction(SAM) as tx:
        created = create_user(tx, User(username="rob", display_name="Rob"))
        assert created.id is not None
        opened = auth.open_session(tx, created.id)
        auth.set_password(tx, created.id, "a long enough secret")
    with crm.read() as conn:
        assert auth.find_session(conn, opened.token) is None


def test_api_serves_a_users_trail_to_user_administrators_only(
    crm: Crm, client_as: Callable[..., Any]
) -> None:
    with crm.transaction(SAM) as tx:
        created = create_user(tx, User(username="rob", display_name="Rob"))
        auth.create_token(tx, "rob", "ERP connector", ["write"])
    with client_as(Actor(user_id=None, username="ada", role="admin")) as client:
        served = client.get(f"/api/v1/users/{created.id}/audit")
        missing = client.get("/api/v1/users/999999/audit")
    with client_as(Actor(user_id=7, username="mia", role="manager")) as client:
        refused = client.get(f"/api/v1/users/{created.id}/audit")
    assert served.status_code == 200, served.text
    assert [e["action"] for e in served.json()] == ["updated", "created"]
    assert missing.status_code == 404
    assert refused.status_code == 403


def test_api_serves_an_interactions_trail_to_whoever_sees_its_party(
    crm: Crm, client_as: Callable[..., Any]
) -> None:
    call = logged_call(crm, add(crm, addresses=[{"postcode": "10115", "country": "DE"}]))
    with client_as(Actor(user_id=None, username="rob", role="read-only")) as client:
        served = client.get(f"/api/v1/interactions/{call}/audit")
    stranger = Actor(user_id=99, username="sue", role="sales", territories=("FR",))
    with client_as(stranger) as client:
        hidden = client.get(f"/api/v1/interactions/{call}/audit")
    assert served.status_code == 200, served.text
    [entry] = served.json()
    assert entry["action"] == "created" and entry["changes"]["summary"] == [None, "Hi"]
    assert hidden.status_code == 404
