"""The write API: creates, version-checked updates, deletes, conversion, merge, users, idempotency."""

from __future__ import annotations

import asyncio
import threading
import types
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import false, func, select

from crmkit import Actor, hookimpl
from crmkit.app import Crm
from crmkit.core.audit import history
from crmkit.core.parties import build_party, create_party
from crmkit.core.settings import Settings
from crmkit.core.tables import interaction, outbox, party
from crmkit.hooks.plugin_info import PluginInfo
from crmkit.testing import http_client, register_plugin

ADMIN = Actor(user_id=None, username="tester", role="admin")
PROBLEM = "application/problem+json"
ANN = {"first_name": "Ann", "last_name": "Lee", "phones": ["030 1234567"]}


def plugin(name: str, **hooks: Callable[..., Any]) -> PluginInfo:
    return register_plugin(
        types.SimpleNamespace(**{hook: hookimpl(f) for hook, f in hooks.items()}), name=name
    )


def login(actor: Actor = ADMIN) -> PluginInfo:
    return plugin("signon", actor_from_request=lambda app, request: actor)


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["detail"]
    return body


def count(crm: Crm, table: Any = party) -> int:
    with crm.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def client_of(make_crm: Callable[..., Crm], *plugins: PluginInfo, **options: Any) -> Any:
    crm = make_crm([login(), *plugins], **options)
    return crm, http_client(crm)


# --- Creating


def test_created_customer_is_answered_with_its_location_and_normalised_phone(make_crm):
    _crm, client = client_of(make_crm)

    response = client.post("/api/v1/customers", json=ANN)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["role"] == "customer" and body["phones"] == ["+49301234567"]
    assert response.headers["location"] == f"/api/v1/customers/{body['id']}"
    assert client.get(response.headers["location"]).json()["display_name"] == "Ann Lee"


def test_unknown_field_is_refused_naming_it(make_crm):
    crm, client = client_of(make_crm)

    body = problem(client.post("/api/v1/prospects", json={**ANN, "nickname": "A"}), 422)

    assert body["field"] == "nickname"
    assert count(crm) == 0


def test_wrong_type_is_refused_naming_the_field(make_crm):
    _crm, client = client_of(make_crm)

    body = problem(client.post("/api/v1/customers", json={**ANN, "phones": [42]}), 422)

    assert body["field"] == "phones[0]"


def test_malformed_json_is_a_400_saying_where(make_crm):
    _crm, client = client_of(make_crm)

    response = client.post(
        "/api/v1/customers",
        content=b'{"last_name": "Lee",',
        headers={"content-type": "application/json"},
    )

    assert "line 1" in problem(response, 400)["detail"]


def test_a_body_that_is_not_an_object_is_a_400(make_crm):
    _crm, client = client_of(make_crm)

    problem(client.post("/api/v1/interactions", json=[1, 2]), 400)


def test_oversize_body_is_a_413_and_creates_nothing(make_crm):
    crm, client = client_of(make_crm, settings=Settings(max_body_bytes=200))

    problem(client.post("/api/v1/customers", json={**ANN, "source": "x" * 300}), 413)

    assert count(crm) == 0


def test_text_a_database_cannot_store_is_refused_naming_the_field(make_crm):
    crm, client = client_of(make_crm)

    body = problem(client.post("/api/v1/customers", json={**ANN, "first_name": "A\x00n"}), 422)

    assert body["field"] == "first_name"
    assert count(crm) == 0


def test_owner_that_does_not_exist_is_refused_naming_owner_id(make_crm):
    _crm, client = client_of(make_crm)

    body = problem(client.post("/api/v1/customers", json={**ANN, "owner_id": 999}), 422)

    assert body["field"] == "owner_id"


# --- Updating with a version


def created(client: Any, role: str = "customer", **data: Any) -> dict[str, Any]:
    response = client.post(f"/api/v1/{role}s", json={**ANN, **data})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_update_without_a_version_is_428(make_crm):
    _crm, client = client_of(make_crm)
    ann = created(client)

    problem(client.patch(f"/api/v1/customers/{ann['id']}", json={"first_name": "Anna"}), 428)

    assert client.get(f"/api/v1/customers/{ann['id']}").json()["first_name"] == "Ann"


def test_update_with_current_if_match_applies_and_answers_the_new_etag(make_crm):
    _crm, client = client_of(make_crm)
    ann = created(client)
    etag = client.get(f"/api/v1/customers/{ann['id']}").headers["etag"]

    response = client.patch(
        f"/api/v1/customers/{ann['id']}", json={"first_name": "Anna"}, headers={"If-Match": etag}
    )

    assert response.status_code == 200, response.text
    assert response.json()["first_name"] == "Anna"
    assert etag == '"1"' and response.headers["etag"] == '"2"'


def test_stale_if_match_gets_412_and_the_other_write_survives(make_crm):
    _crm, client = client_of(make_crm)
    ann = created(client)
    url = f"/api/v1/customers/{ann['id']}"
    first = client.patch(url, json={"first_name": "Anna"}, headers={"If-Match": '"1"'})
    assert first.status_code == 200

    problem(client.patch(url, json={"last_name": "Li"}, headers={"If-Match": '"1"'}), 412)

    assert client.get(url).json()["first_name"] == "Anna"
    assert client.get(url).json()["last_name"] == "Lee"


def test_stale_version_field_gets_409(make_crm):
    _crm, client = client_of(make_crm)
    ann = created(client)
    url = f"/api/v1/customers/{ann['id']}"
    client.patch(url, json={"first_name": "Anna", "version": 1})

    problem(client.patch(url, json={"first_name": "Anne", "version": 1}), 409)

    assert client.get(url).json()["first_name"] == "Anna"


def trail(crm: Crm, entity: str, entity_id: int) -> tuple[list[str], list[str]]:
    """The audit actions on the record and the events about it, oldest first."""
    with crm.read() as conn:
        actions = [entry.action for entry in reversed(history(conn, entity, entity_id))]
        events = conn.execute(
            select(outbox.c.event_type).where(outbox.c.entity_id == str(entity_id))
        ).scalars()
        return actions, list(events)


@pytest.mark.parametrize(
    "body",
    [{}, {"first_name": "Ann", "last_name": "Lee", "phones": ["+49 30 1234567"], "custom": {}}],
    ids=["empty", "identical"],
)
def test_a_patch_that_changes_nothing_keeps_the_version_and_leaves_no_trail(make_crm, body):
    crm, client = client_of(make_crm)
    ann = created(client)
    url = f"/api/v1/customers/{ann['id']}"

    response = client.patch(url, json=body, headers={"If-Match": '"1"'})

    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"1"'
    assert response.json() == client.get(url).json() == ann
    assert trail(crm, "party", ann["id"]) == (["created"], ["customer.created"])


def test_a_patch_that_changes_nothing_from_a_stale_version_is_still_refused(make_crm):
    crm, client = client_of(make_crm)
    ann = created(client)
    url = f"/api/v1/customers/{ann['id']}"
    client.patch(url, json={"first_name": "Anna", "version": 1})

    problem(client.patch(url, json={"first_name": "Anna"}, headers={"If-Match": '"1"'}), 412)
    problem(client.patch(url, json={"version": 1}), 409)

    assert client.get(url).headers["etag"] == '"2"'
    assert trail(crm, "party", ann["id"])[0] == ["created", "updated"]


def test_a_customer_is_not_found_under_prospects(make_crm):
    _crm, client = client_of(make_crm)
    ann = created(client)

    problem(client.get(f"/api/v1/prospects/{ann['id']}"), 404)
    problem(client.patch(f"/api/v1/prospects/{ann['id']}", json={"version": 1}), 404)


def test_a_party_hidden_by_permission_filter_cannot_be_changed(make_crm):
    hide = plugin("hideall", permission_filter=lambda actor, entity_type, table: false())
    crm, client = client_of(make_crm, hide)
    with crm.transaction() as tx:
        hidden = create_party(tx, build_party("customer", ANN, region="DE"))

    problem(client.patch(f"/api/v1/customers/{hidden.id}", json={"version": 1}), 404)
    problem(client.delete(f"/api/v1/customers/{hidden.id}", headers={"If-Match": '"1"'}), 404)

    assert count(crm) == 1


def test_reads_honour_a_permission_check_that_is_async(make_crm):
    # Reads run on the event loop where they can; an async hook must still decide them.
    async def veto_hidden(resource: Any) -> bool | None:
        await asyncio.sleep(0)
        return False if getattr(resource, "last_name", None) == "Hidden" else None

    crm, client = client_of(make_crm, plugin("asyncrules", permission_check=veto_hidden))
    ann = created(client)
    with crm.transaction() as tx:
        hidden = create_party(tx, build_party("customer", {"last_name": "Hidden"}, region="DE"))

    assert client.get(f"/api/v1/customers/{ann['id']}").status_code == 200
    assert client.get(f"/api/v1/parties/{ann['id']}").status_code == 200
    problem(client.get(f"/api/v1/customers/{hidden.id}"), 404)
    problem(client.get(f"/api/v1/parties/{hidden.id}"), 404)


def test_reads_on_loops_of_threads_that_ended_give_their_connections_back(make_crm):
    # Each test client runs its own loop thread; more of them than the pool holds, one after
    # another, must not wait for connections kept by threads long gone.
    crm = make_crm()
    if crm.engine.dialect.name != "sqlite":
        pytest.skip("reads run on the loop on SQLite only")
    limit = crm.engine.pool.size() + crm.engine.pool._max_overflow  # type: ignore[attr-defined]
    answers = []
    for _ in range(limit + 5):
        reader = threading.Thread(
            target=lambda: answers.append(
                asyncio.run(crm.query(lambda conn: conn.scalar(select(1))))
            )
        )
        reader.start()
        reader.join(timeout=20)
        assert not reader.is_alive(), "a read waited for a connection held by an ended thread"
    assert answers == [1] * (limit + 5)


def test_delete_erases_the_party_and_its_timeline(make_crm):
    crm, client = client_of(make_crm)
    ann = created(client)
    client.post(
        "/api/v1/interactions",
        json={"party_id": ann["id"], "channel": "phone", "direction": "inbound"},
    )

    deleted = client.delete(f"/api/v1/customers/{ann['id']}", headers={"If-Match": '"1"'})

    assert deleted.status_code == 204, deleted.text
    problem(client.get(f"/api/v1/customers/{ann['id']}"), 404)
    assert count(crm) == 0 and count(crm, interaction) == 0


def test_delete_with_the_version_read_as_a_query_parameter_erases_the_prospect(make_crm):
    crm, client = client_of(make_crm)
    ann = created(client, "prospect", phones=["030 2847193"])["party"]
    changed = client.patch(
        f"/api/v1/prospects/{ann['id']}", json={"status": "working", "version": 1}
    )

    deleted = client.delete(f"/api/v1/prospects/{ann['id']}", params={"version": 2})

    assert changed.status_code == 200 and deleted.status_code == 204, deleted.text
    assert count(crm) == 0


def test_delete_with_a_stale_if_match_is_412_and_keeps_the_party(make_crm):
    crm, client = client_of(make_crm)
    ann = created(client)
    client.patch(f"/api/v1/customers/{ann['id']}", json={"first_name": "Anna", "version": 1})

    problem(client.delete(f"/api/v1/customers/{ann['id']}", headers={"If-Match": '"1"'}), 412)

    assert count(crm) == 1
    assert client.get(f"/api/v1/customers/{ann['id']}").json()["first_name"] == "Anna"


def test_delete_with_a_stale_version_parameter_is_409_and_keeps_the_party(make_crm):
    crm, client = client_of(make_crm)
    ann = created(client, "prospect", phones=["030 2847193"])["party"]
    client.patch(f"/api/v1/prospects/{ann['id']}", json={"status": "working", "version": 1})

    problem(client.delete(f"/api/v1/prospects/{ann['id']}", params={"version": 1}), 409)

    assert count(crm) == 1


def test_delete_without_a_version_is_428_and_keeps_the_party(make_crm):
    crm, client = client_of(make_crm)
    ann = created(client)

    problem(client.delete(f"/api/v1/customers/{ann['id']}"), 428)

    assert count(crm) == 1


def test_delete_with_a_malformed_version_is_refused_naming_it(make_crm):
    crm, client = client_of(make_crm)
    ann = created(client)
    url = f"/api/v1/customers/{ann['id']}"

    bad_header = problem(client.delete(url, headers={"If-Match": "1"}), 422)
    bad_param = problem(client.delete(url, params={"version": "one"}), 422)
    unknown = problem(client.delete(url, params={"version": 1, "force": "yes"}), 422)

    assert (bad_header["field"], bad_param["field"], unknown["field"]) == (
        "If-Match",
        "version",
        "force",
    )
    assert count(crm) == 1


def test_writer_without_permission_gets_403_and_nothing_changes(make_crm):
    def deny_writes(actor: Actor, action: str, resource: Any) -> bool | None:
        return False if action == "core:party.write" else None

    crm, client = client_of(make_crm, plugin("nowrite", permission_check=deny_writes))

    problem(client.post("/api/v1/customers", json=ANN), 403)

    assert count(crm) == 0


# --- Conversion, merge, interactions


def test_converted_prospect_keeps_its_id_and_timeline(make_crm):
    _crm, client = client_of(make_crm)
    prospect = created(client, "prospect", phones=["030 2847193"])["party"]
    client.post(
        "/api/v1/interactions",
        json={"party_id": prospect["id"], "channel": "email", "direction": "outbound"},
    )

    response = client.post(
        f"/api/v1/prospects/{prospect['id']}/convert", json={"customer_number": "C-1"}
    )

    assert response.status_code == 200, response.text
    customer = client.get(f"/api/v1/customers/{prospect['id']}").json()
    assert customer["customer_number"] == "C-1"
    timeline = client.get(f"/api/v1/parties/{prospect['id']}/timeline").json()["items"]
    assert [i["channel"] for i in timeline] == ["email"]


def test_merge_moves_the_timeline_and_contacts_onto_the_survivor(make_crm):
    _crm, client = client_of(make_crm)
    survivor = created(client)
    duplicate = created(client, phones=["+44 20 7946 0958"])
    client.post(
        "/api/v1/interactions",
        json={"party_id": duplicate["id"], "channel": "phone", "direction": "inbound"},
    )

    response = client.post(
        f"/api/v1/parties/{survivor['id']}/merge", json={"merged_id": duplicate["id"]}
    )

    assert response.status_code == 200, response.text
    assert response.json()["phones"] == ["+49301234567", "+442079460958"]
    problem(client.get(f"/api/v1/parties/{duplicate['id']}"), 404)
    timeline = client.get(f"/api/v1/parties/{survivor['id']}/timeline").json()["items"]
    assert len(timeline) == 1


def test_logged_interaction_is_readable_and_on_the_timeline(make_crm):
    _crm, client = client_of(make_crm)
    ann = created(client)

    response = client.post(
        "/api/v1/interactions",
        json={
            "party_id": ann["id"],
            "channel": "phone",
            "direction": "inbound",
            "subject": "Invoice question",
            "occurred_at": "2024-05-01T10:00:00Z",
        },
    )

    assert response.status_code == 201, response.text
    assert client.get(response.headers["location"]).json()["subject"] == "Invoice question"
    timeline = client.get(f"/api/v1/parties/{ann['id']}/timeline").json()["items"]
    assert [i["subject"] for i in timeline] == ["Invoice question"]


def test_interaction_on_a_party_that_does_not_exist_is_refused(make_crm):
    crm, client = client_of(make_crm)

    response = client.post(
        "/api/v1/interactions", json={"party_id": 77, "channel": "phone", "direction": "inbound"}
    )

    problem(response, 404)
    assert count(crm, interaction) == 0


# --- Users


def test_user_is_created_changed_and_archived(make_crm):
    _crm, client = client_of(make_crm)
    sam = client.post("/api/v1/users", json={"username": "sam", "role": "sales"}).json()
    url = f"/api/v1/users/{sam['id']}"

    changed = client.patch(url, json={"team": "north"}, headers={"If-Match": '"1"'})
    archived = client.delete(url, headers={"If-Match": changed.headers["etag"]})

    assert changed.json()["team"] == "north"
    assert archived.status_code == 200, archived.text
    assert archived.json()["active"] is False and archived.headers["etag"] == '"3"'
    assert [u["username"] for u in client.get("/api/v1/users").json()] == ["sam"]


def test_archiving_a_user_changed_since_it_was_read_keeps_them_active(make_crm):
    _crm, client = client_of(make_crm)
    sam = client.post("/api/v1/users", json={"username": "sam", "role": "sales"}).json()
    url = f"/api/v1/users/{sam['id']}"
    client.patch(url, json={"team": "north", "version": 1})

    problem(client.delete(url, headers={"If-Match": '"1"'}), 412)
    problem(client.delete(url, params={"version": 1}), 409)
    problem(client.delete(url), 428)

    assert client.get(url).json()["active"] is True


def test_a_user_patch_that_changes_nothing_keeps_the_version_and_leaves_no_trail(make_crm):
    crm, client = client_of(make_crm)
    sam = client.post("/api/v1/users", json={"username": "sam", "role": "sales"}).json()
    url = f"/api/v1/users/{sam['id']}"

    empty = client.patch(url, json={"version": 1})
    same = client.patch(url, json={"role": "sales", "territories": []}, headers={"If-Match": '"1"'})

    for response in (empty, same):
        assert response.status_code == 200, response.text
        assert response.headers["etag"] == '"1"' and response.json() == sam
    assert trail(crm, "user", sam["id"]) == (["created"], ["user.created"])
    client.patch(url, json={"team": "north", "version": 1})
    problem(client.patch(url, json={"team": "north", "version": 1}), 409)
    assert client.get(url).headers["etag"] == '"2"'


def test_archiving_an_archived_user_keeps_the_version(make_crm):
    _crm, client = client_of(make_crm)
    sam = client.post("/api/v1/users", json={"username": "sam", "role": "sales"}).json()
    url = f"/api/v1/users/{sam['id']}"
    client.delete(url, headers={"If-Match": '"1"'})

    again = client.delete(url, headers={"If-Match": '"2"'})

    assert again.status_code == 200, again.text
    assert again.headers["etag"] == '"2"' and again.json()["active"] is False


def test_user_with_an_unknown_role_is_refused_naming_role(make_crm):
    _crm, client = client_of(make_crm)

    body = problem(client.post("/api/v1/users", json={"username": "sam", "role": "boss"}), 422)

    assert body["field"] == "role"


# --- Idempotency-Key


def test_retry_with_the_same_key_answers_the_same_and_creates_one_record(make_crm):
    crm, client = client_of(make_crm)
    headers = {"Idempotency-Key": "create-ann-1"}

    first = client.post("/api/v1/customers", json=ANN, headers=headers)
    retry = client.post("/api/v1/customers", json=ANN, headers=headers)

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["idempotency-replayed"] == "true"
    assert retry.headers["location"] == first.headers["location"]
    assert count(crm) == 1


def test_same_key_with_a_different_body_is_422_and_creates_nothing(make_crm):
    crm, client = client_of(make_crm)
    headers = {"Idempotency-Key": "k"}
    client.post("/api/v1/customers", json=ANN, headers=headers)

    body = problem(
        client.post("/api/v1/customers", json={**ANN, "first_name": "Bo"}, headers=headers), 422
    )

    assert body["field"] == "Idempotency-Key"
    assert count(crm) == 1


def test_a_failed_create_does_not_use_up_its_key(make_crm):
    crm, client = client_of(make_crm)
    headers = {"Idempotency-Key": "k"}
    problem(client.post("/api/v1/customers", json={"kind": "alien"}, headers=headers), 422)

    # The refusal rolled back together with the key, so the corrected body may use it.
    response = client.post("/api/v1/customers", json=ANN, headers=headers)

    assert response.status_code == 201
    assert count(crm) == 1


def test_idempotency_keys_belong_to_one_actor(make_crm):
    other = Actor(user_id=None, username="other", role="admin")
    crm = make_crm([login()])
    crm_other = make_crm([login(other)])
    headers = {"Idempotency-Key": "shared"}

    http_client(crm).post("/api/v1/customers", json=ANN, headers=headers)
    response = http_client(crm_other).post("/api/v1/customers", json=ANN, headers=headers)

    assert response.status_code == 201
    assert "idempotency-replayed" not in response.headers
    assert count(crm) == 2


def test_concurrent_retries_with_one_key_create_one_record(make_crm):
    crm = make_crm([login()])
    clients = [http_client(crm) for _ in range(4)]
    start = threading.Barrier(len(clients))

    def post(client: Any) -> Any:
        start.wait()
        return client.post("/api/v1/customers", json=ANN, headers={"Idempotency-Key": "race"})

    with ThreadPoolExecutor(len(clients)) as pool:
        answers = list(pool.map(post, clients))

    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    assert count(crm) == 1


@pytest.mark.parametrize("field", ["active", "role"])
def test_a_user_field_that_cannot_be_empty_is_refused_as_null_naming_it(make_crm, field):
    _crm, client = client_of(make_crm)
    sam = client.post("/api/v1/users", json={"username": "sam", "role": "sales"}).json()
    url = f"/api/v1/users/{sam['id']}"

    body = problem(client.patch(url, json={field: None}, headers={"If-Match": '"1"'}), 422)

    assert body["field"] == field
    assert client.get(url).json() == sam
