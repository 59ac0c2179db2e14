"""The integration surface over HTTP: a party's external ids, their history, and resolving a party."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from crmkit import Crm, build_party, create_party, link_external_id
from crmkit.core import auth
from crmkit.core.tables import (
    external_id,
    external_id_change,
    idempotency_key,
    merge_log,
    party,
)
from crmkit.testing import http_client

PROBLEM = "application/problem+json"


def ids_url(party_id: int) -> str:
    return f"/api/v1/parties/{party_id}/external-ids"


def key(system: str = "helpdesk", value: str = "U-17") -> dict[str, str]:
    return {"system": system, "external_id": value}


def count(crm: Crm, table: Any) -> int:
    with crm.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def links(crm: Crm) -> set[tuple[str, str, int]]:
    with crm.read() as conn:
        return {(r.system, r.external_id, r.party_id) for r in conn.execute(select(external_id))}


def link(crm: Crm, party_id: int, system: str = "helpdesk", value: str = "U-17") -> None:
    with crm.transaction() as tx:
        link_external_id(tx, party_id, system, value)


def test_an_id_is_linked_listed_found_and_linking_it_again_changes_nothing(world, client_as, crm):
    anna = world.parties["sam_own"]
    with client_as(world.actors["sam"]) as client:
        first = client.put(ids_url(anna), json=key())
        again = client.put(ids_url(anna), json=key())
        listed = client.get(ids_url(anna))
        found = client.get("/api/v1/parties/by-external-id", params=key())
        history = client.get(f"{ids_url(anna)}/history", params=key())

    assert first.status_code == 201, first.text
    assert first.json()["party_id"] == anna and first.json()["system"] == "helpdesk"
    assert again.status_code == 200 and again.json() == first.json()
    assert listed.json() == [first.json()]
    assert found.status_code == 200 and found.json()["id"] == anna
    assert found.headers["etag"] == f'"{found.json()["version"]}"'
    assert history.status_code == 200 and history.json() == []
    assert links(crm) == {("helpdesk", "U-17", anna)}


def test_an_id_taken_from_another_party_is_kept_in_its_history(world, client_as):
    p = world.parties
    with client_as(world.actors["sam"]) as client:
        client.put(ids_url(p["sam_own"]), json=key())
        moved = client.put(ids_url(p["sam_territory"]), json=key())
        left = client.get(ids_url(p["sam_own"])).json()
        history = client.get(f"{ids_url(p['sam_own'])}/history", params=key()).json()

    assert moved.status_code == 201 and moved.json()["party_id"] == p["sam_territory"]
    assert left == []
    [change] = history
    assert (change["from_party_id"], change["to_party_id"]) == (p["sam_own"], p["sam_territory"])
    assert (change["reason"], change["changed_by"]) == ("relinked", "sam")


def test_an_unlinked_id_finds_nobody_and_its_history_says_who_unlinked_it(world, client_as, crm):
    anna = world.parties["sam_own"]
    link(crm, anna, "erp", "K/4711 ")  # any text: a slash, a trailing blank
    with client_as(world.actors["sam"]) as client:
        removed = client.delete(ids_url(anna), params=key("erp", "K/4711 "))
        again = client.delete(ids_url(anna), params=key("erp", "K/4711 "))
        found = client.get("/api/v1/parties/by-external-id", params=key("erp", "K/4711 "))
        history = client.get(f"{ids_url(anna)}/history", params=key("erp", "K/4711 ")).json()
        listed = client.get(ids_url(anna)).json()

    assert removed.status_code == 200, removed.text
    change = removed.json()
    assert (change["from_party_id"], change["to_party_id"]) == (anna, None)
    assert (change["reason"], change["changed_by"]) == ("unlinked", "sam")
    assert history == [change] and listed == []
    assert again.status_code == 404 and found.status_code == 404
    assert links(crm) == set()


def test_an_id_of_another_party_is_not_unlinked_through_this_one(world, client_as, crm):
    p = world.parties
    link(crm, p["sam_territory"])
    with client_as(world.actors["sam"]) as client:
        refused = client.delete(ids_url(p["sam_own"]), params=key())
        history = client.get(f"{ids_url(p['sam_own'])}/history", params=key())

    assert refused.status_code == 404 and refused.headers["content-type"] == PROBLEM
    assert history.status_code == 404, "an id never linked to the party has no history there"
    assert links(crm) == {("helpdesk", "U-17", p["sam_territory"])}
    assert count(crm, external_id_change) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"system": "Helpdesk", "external_id": "U-17"}, "system"),
        ({"system": "", "external_id": "U-17"}, "system"),
        ({"system": "h" * 101, "external_id": "U-17"}, "system"),
        ({"system": 17, "external_id": "U-17"}, "system"),
        ({"external_id": "U-17"}, "system"),
        ({"system": "helpdesk", "external_id": "   "}, "external_id"),
        ({"system": "helpdesk", "external_id": "x" * 201}, "external_id"),
        ({"system": "helpdesk", "external_id": 17}, "external_id"),
        ({"system": "helpdesk"}, "external_id"),
        ({"system": "helpdesk", "external_id": "U-17", "party_id": 1}, "party_id"),
    ],
)
def test_a_bad_link_is_refused_naming_the_field_and_stores_nothing(
    world, client_as, crm, body, field
):
    with client_as(world.actors["sam"]) as client:
        answer = client.put(ids_url(world.parties["sam_own"]), json=body)

    assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM
    assert answer.json()["field"] == field
    assert count(crm, external_id) == 0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"external_id": "U-17"}, "system"),
        ({"system": "helpdesk"}, "external_id"),
        ({"system": "help desk", "external_id": "U-17"}, "system"),
        ({**key(), "party": "1"}, "party"),
    ],
)
def test_bad_key_parameters_are_refused_naming_them(world, client_as, crm, params, field):
    anna = world.parties["sam_own"]
    link(crm, anna)
    with client_as(world.actors["sam"]) as client:
        answers = [
            client.delete(ids_url(anna), params=params),
            client.get(f"{ids_url(anna)}/history", params=params),
            client.get("/api/v1/parties/by-external-id", params=params),
        ]

    assert [(a.status_code, a.json()["field"]) for a in answers] == [(422, field)] * 3
    assert links(crm) == {("helpdesk", "U-17", anna)}


def test_a_party_the_actor_may_not_see_is_not_found_on_any_of_these_paths(world, client_as, crm):
    hidden = world.parties["mia_own"]  # sam may not see mia's customer
    link(crm, hidden)
    with client_as(world.actors["sam"]) as client:
        answers = {
            "list": client.get(ids_url(hidden)),
            "link": client.put(ids_url(hidden), json=key("erp", "K-1")),
            "unlink": client.delete(ids_url(hidden), params=key()),
            "history": client.get(f"{ids_url(hidden)}/history", params=key()),
            "by id": client.get("/api/v1/parties/by-external-id", params=key()),
        }
        unknown = client.get("/api/v1/parties/by-external-id", params=key("helpdesk", "U-99"))

    assert {name: a.status_code for name, a in answers.items()} == dict.fromkeys(answers, 404)
    # Linked to a hidden party reads as linked to none: the detail does not tell them apart.
    assert answers["by id"].json()["detail"].replace("U-17", "U-99") == unknown.json()["detail"]
    assert links(crm) == {("helpdesk", "U-17", hidden)}


def test_an_id_is_not_taken_from_a_party_the_actor_may_not_change(world, client_as, crm):
    p = world.parties
    link(crm, p["mia_own"])
    with client_as(world.actors["sam"]) as client:
        refused = client.put(ids_url(p["sam_own"]), json=key())

    assert refused.status_code == 403, refused.text
    assert str(p["mia_own"]) not in refused.json()["detail"]
    assert links(crm) == {("helpdesk", "U-17", p["mia_own"])}
    assert count(crm, external_id_change) == 0


def test_a_role_that_may_only_read_lists_but_neither_links_nor_unlinks(world, client_as, crm):
    anna = world.parties["sam_own"]
    link(crm, anna)
    with client_as(world.actors["rob"]) as client:  # read-only
        listed = client.get(ids_url(anna))
        linking = client.put(ids_url(anna), json=key("erp", "K-1"))
        unlinking = client.delete(ids_url(anna), params=key())
        resolving = client.post("/api/v1/parties/resolve", json={"emails": ["kim@firma.de"]})

    assert listed.status_code == 200 and len(listed.json()) == 1
    assert [a.status_code for a in (linking, unlinking, resolving)] == [403, 403, 403]
    assert links(crm) == {("helpdesk", "U-17", anna)}
    assert count(crm, party) == len(world.parties)


def test_a_token_without_the_write_scope_reads_but_changes_nothing(world, make_crm, crm):
    anna = world.parties["sam_own"]
    link(crm, anna)
    with crm.transaction() as tx:
        token = auth.create_token(tx, "sam", "help desk", ["read"]).token
    bearer = {"Authorization": f"Bearer {token}"}
    with http_client(make_crm()) as client:
        listed = client.get(ids_url(anna), headers=bearer)
        found = client.get("/api/v1/parties/by-external-id", params=key(), headers=bearer)
        refused = [
            client.put(ids_url(anna), json=key("erp", "K-1"), headers=bearer),
            client.delete(ids_url(anna), params=key(), headers=bearer),
            client.post(
                "/api/v1/parties/resolve",
                json={"emails": ["kim@firma.de"], **key("erp", "K-2")},
                headers=bearer,
            ),
        ]

    assert listed.status_code == 200 and found.json()["id"] == anna
    assert [a.status_code for a in refused] == [403, 403, 403]
    assert all("scope (read)" in a.json()["detail"] for a in refused)
    assert links(crm) == {("helpdesk", "U-17", anna)}
    assert count(crm, party) == len(world.parties)


# --- Resolving a party.


def resolve(client: Any, body: dict[str, Any], **headers: str) -> Any:
    return client.post("/api/v1/parties/resolve", json=body, headers=headers)


def test_a_new_person_is_taken_in_and_found_by_the_id_the_next_time(world, client_as, crm):
    event = {"emails": ["Kim.Ott@firma.de"], "source": "helpdesk", **key()}
    with client_as(world.actors["ada"]) as client:
        created = resolve(client, event)
        repeat = resolve(client, {**event, "emails": ["kim@elsewhere.de"]})
        by_email = resolve(client, {"emails": ["kim.ott@firma.de"], **key("shop", "C-9")})
        stored = client.get(created.headers["location"]).json()

    assert created.status_code == 201, created.text
    body = created.json()
    assert body["outcome"] == "created" and body["found_by"] is None
    assert [f["code"] for f in body["findings"]] == ["name_unknown"]
    assert stored["source"] == "helpdesk" and stored["emails"] == ["Kim.Ott@firma.de"]
    kim = body["party_id"]
    assert repeat.status_code == 200
    assert repeat.json() == {
        "outcome": "found",
        "party_id": kim,
        "found_by": "external_id",
        "findings": [],
        "quality": None,
        "score": None,
        "band": None,
        "reviews": [],
    }
    assert (by_email.status_code, by_email.json()["found_by"]) == (200, "email")
    assert links(crm) == {("helpdesk", "U-17", kim), ("shop", "C-9", kim)}
    assert count(crm, party) == len(world.parties) + 1


def test_a_party_the_actor_may_not_see_is_neither_found_nor_named(world, client_as, crm):
    hidden = world.parties["sue_own"]  # sam may not see sue's prospect
    link(crm, hidden)
    person = {
        "first_name": "Sue_Own",
        "last_name": "Leakcheck",
        "emails": ["sue_own@example.org"],
        "phones": ["+49 30 555 1002"],
    }
    with client_as(world.actors["sam"]) as client:
        answers = [resolve(client, {**person, **key(value=v)}) for v in ("U-17", "S-NEW")]

    for answer, found_by in zip(answers, ("external_id", "email"), strict=True):
        assert answer.status_code == 200, answer.text
        assert answer.json()["outcome"] == "hidden" and answer.json()["party_id"] is None
        assert answer.json()["found_by"] == found_by
        assert "location" not in answer.headers
    assert links(crm) == {("helpdesk", "U-17", hidden)}, "the id stays with the hidden party"
    assert count(crm, party) == len(world.parties), "no duplicate is made"


def test_a_repeat_event_on_a_shared_address_is_found_and_merges_nothing(world, client_as, crm):
    shared = "office@shared.de"
    with crm.transaction() as tx:
        for name in ("Shared Ltd", "Shared Trading Ltd"):
            create_party(
                tx,
                build_party(
                    "customer",
                    {"kind": "organisation", "organisation_name": name, "emails": [shared]},
                    region="DE",
                ),
            )
    with client_as(world.actors["ada"]) as client:
        answers = [resolve(client, {"emails": [shared], "source": "hd"}) for _ in range(3)]

    assert [(a.status_code, a.json()["outcome"]) for a in answers] == [
        (201, "created"),
        (200, "found"),
        (200, "found"),
    ]
    assert len({a.json()["party_id"] for a in answers}) == 1
    assert [a.json()["found_by"] for a in answers[1:]] == [None, None]
    assert count(crm, merge_log) == 0


def test_a_rejected_person_is_a_problem_listing_the_findings_and_stores_nothing(
    world, client_as, crm
):
    with client_as(world.actors["sam"]) as client:
        answer = resolve(client, {"emails": ["test@example.com"], **key()})

    assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM
    assert "no_contact_route" in {f["code"] for f in answer.json()["findings"]}
    assert count(crm, party) == len(world.parties) and links(crm) == set()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"emails": ["kim@firma.de"], "system": "helpdesk"}, "external_id"),
        ({"emails": ["kim@firma.de"], "external_id": "U-17"}, "system"),
        ({"emails": ["kim@firma.de"], "system": "Help Desk", "external_id": "U-17"}, "system"),
        ({"emails": ["kim@firma.de"], **key("helpdesk", "x" * 201)}, "external_id"),
        ({"emails": ["kim@firma.de"], "vouched": "yes"}, "vouched"),
        ({"emails": "kim@firma.de", **key()}, "emails"),
        ({"emails": ["kim@firma.de"], "owner_id": 999_999}, "owner_id"),
    ],
)
def test_bad_input_to_resolve_is_refused_naming_the_field_and_changes_nothing(
    world, client_as, crm, body, field
):
    with client_as(world.actors["sam"]) as client:
        answer = resolve(client, body)

    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field
    assert count(crm, party) == len(world.parties) and links(crm) == set()


def test_a_retried_resolve_is_answered_again_and_takes_in_once(world, client_as, crm):
    event = {"phones": ["0170 4417352"], **key()}
    with client_as(world.actors["sam"]) as client:
        first = resolve(client, event, **{"Idempotency-Key": "ticket-1"})
        retry = resolve(client, event, **{"Idempotency-Key": "ticket-1"})

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json() and retry.headers["idempotency-replayed"] == "true"
    assert count(crm, party) == len(world.parties) + 1
    assert count(crm, idempotency_key) == 1


def test_a_source_that_does_not_vouch_needs_a_name(world, client_as, crm):
    with client_as(world.actors["sam"]) as client:
        nameless = resolve(client, {"emails": ["kim@firma.de"], "vouched": False})
        named = resolve(client, {"last_name": "Ott", "emails": ["kim@firma.de"], "vouched": False})

    assert nameless.status_code == 422 and nameless.json()["field"] == "last_name"
    assert named.status_code == 201 and named.json()["outcome"] == "created"
