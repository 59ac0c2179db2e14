"""The intake API: posting prospects, the review queue, merge logs."""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

import attrs
from sqlalchemy import func, select

from crmkit import Actor, hookimpl
from crmkit.app import Crm
from crmkit.core.settings import IntakeSettings
from crmkit.core.tables import match_review, party
from crmkit.testing import http_client, register_plugin

ADMIN = Actor(user_id=None, username="tester", role="admin")
READER = Actor(user_id=None, username="reader", role="read-only")
PROBLEM = "application/problem+json"
ANNA = {
    "first_name": "Anna",
    "last_name": "Berg",
    "emails": ["anna.berg@web.de"],
    "phones": ["+49 170 4417352"],
}


def client_of(make_crm: Callable[..., Crm], actor: Actor = ADMIN, **intake: Any) -> Any:
    login = register_plugin(
        types.SimpleNamespace(actor_from_request=hookimpl(lambda app, request: actor)),
        name="signon",
    )
    crm = make_crm([login])
    crm.settings = attrs.evolve(crm.settings, intake=IntakeSettings(**intake))
    return crm, http_client(crm)


def count(crm: Crm, table: Any = party) -> int:
    with crm.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_new_prospect_is_created_with_its_score_and_location(make_crm):
    _crm, client = client_of(make_crm)

    response = client.post("/api/v1/prospects", json=ANNA)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["outcome"] == "created" and body["findings"] == []
    assert body["quality"] == 100 and body["band"] in ("hot", "warm", "cold")
    assert body["party"]["display_name"] == "Anna Berg" and body["party"]["source"] == "api"
    assert response.headers["location"] == f"/api/v1/prospects/{body['party']['id']}"


def test_a_duplicate_is_merged_and_answered_200_with_the_survivor(make_crm):
    crm, client = client_of(make_crm)
    customer = client.post("/api/v1/customers", json=ANNA).json()

    response = client.post("/api/v1/prospects", json={**ANNA, "emails": ["anna@berg.example"]})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["outcome"] == "merged" and body["party"]["id"] == customer["id"]
    assert body["party"]["role"] == "customer"
    assert set(body["party"]["emails"]) == {"anna.berg@web.de", "anna@berg.example"}
    assert response.headers["location"] == f"/api/v1/customers/{customer['id']}"
    assert count(crm) == 1
    (entry,) = client.get(f"/api/v1/parties/{customer['id']}/merges").json()
    assert entry["merged_by"] == "tester" and entry["merged_name"] == "Anna Berg"
    assert entry["merged_id"] is None
    assert entry["contact_points"] == [{"kind": "email", "value": "anna@berg.example"}]


def test_a_rejected_prospect_is_a_problem_listing_its_hard_findings(make_crm):
    crm, client = client_of(make_crm)

    response = client.post(
        "/api/v1/prospects",
        json={"first_name": "Test", "last_name": "Test", "emails": ["x@mailinator.com"]},
    )

    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["field"] == "last_name" and "fake_name" in body["detail"]
    assert {(f["code"], f["severity"]) for f in body["findings"]} == {
        ("fake_name", "hard"),
        ("email_disposable", "soft"),
    }
    assert count(crm) == 0


def test_bad_input_names_the_field_and_stores_nothing(make_crm):
    crm, client = client_of(make_crm)

    response = client.post("/api/v1/prospects", json={**ANNA, "owner_id": 999})

    assert response.status_code == 422 and response.json()["field"] == "owner_id"
    response = client.post("/api/v1/prospects", json={**ANNA, "emails": "a@b.de"})
    assert response.status_code == 422 and response.json()["field"] == "emails"
    assert count(crm) == 0


def review_pair(make_crm: Callable[..., Crm], actor: Actor = ADMIN) -> tuple[Crm, Any, int, int]:
    crm, client = client_of(make_crm, actor, merge_threshold=1.0, review_threshold=0.5)
    existing = client.post("/api/v1/prospects", json=ANNA).json()["party"]["id"]
    answer = client.post("/api/v1/prospects", json=ANNA)
    assert answer.status_code == 201 and answer.json()["outcome"] == "review"
    return crm, client, existing, answer.json()["party"]["id"]


def test_a_review_lists_the_pair_and_a_merge_decision_merges_it(make_crm):
    crm, client, existing, candidate = review_pair(make_crm)

    (review,) = client.get("/api/v1/match-reviews").json()["items"]
    assert (review["candidate_id"], review["existing_id"]) == (candidate, existing)
    assert review["status"] == "open" and 50 <= review["score"] <= 100

    decided = client.post(f"/api/v1/match-reviews/{review['id']}", json={"decision": "merge"})

    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "merged" and decided.json()["decided_by"] == "tester"
    assert client.get(f"/api/v1/prospects/{candidate}").status_code == 404
    assert count(crm) == 1
    assert client.get("/api/v1/match-reviews").json()["items"] == []
    merged = client.get("/api/v1/match-reviews", params={"status": "merged"}).json()["items"]
    assert [r["id"] for r in merged] == [review["id"]]
    again = client.post(f"/api/v1/match-reviews/{review['id']}", json={"decision": "dismiss"})
    assert again.status_code == 409


def test_a_dismissed_review_keeps_both_parties(make_crm):
    crm, client, _existing, _candidate = review_pair(make_crm)
    (review,) = client.get("/api/v1/match-reviews").json()["items"]

    decided = client.post(f"/api/v1/match-reviews/{review['id']}", json={"decision": "dismiss"})

    assert decided.json()["status"] == "dismissed"
    assert count(crm) == 2 and count(crm, match_review) == 1


def test_a_review_decision_must_be_merge_or_dismiss(make_crm):
    _crm, client, _existing, _candidate = review_pair(make_crm)
    (review,) = client.get("/api/v1/match-reviews").json()["items"]

    response = client.post(f"/api/v1/match-reviews/{review['id']}", json={"decision": "maybe"})

    assert response.status_code == 422 and response.json()["field"] == "decision"
    assert client.post("/api/v1/match-reviews/999", json={"decision": "merge"}).status_code == 404


def test_the_review_queue_needs_the_merge_permission(make_crm):
    _crm, client = client_of(make_crm, READER)

    response = client.get("/api/v1/match-reviews")

    assert response.status_code == 403


def test_the_review_queue_shows_only_pairs_the_actor_may_see(world, client_as, crm):
    from crmkit.core.intake.review import open_reviews

    p = world.parties
    with crm.transaction() as tx:
        [seen] = open_reviews(tx, p["sam_own"], [(p["mia_own"], 0.7)])
        # Hidden from mia: one whose candidate she may not see, one whose existing party.
        hidden = open_reviews(tx, p["sue_own"], [(p["mia_own"], 0.7)]) + open_reviews(
            tx, p["sam_own"], [(p["sue_own"], 0.7)]
        )

    with client_as(world.actors["mia"]) as client:
        mia = [r["id"] for r in client.get("/api/v1/match-reviews").json()["items"]]
        refused = [
            client.post(f"/api/v1/match-reviews/{h}", json={"decision": "merge"}).status_code
            for h in hidden
        ]
    with client_as(world.actors["ada"]) as client:
        ada = [r["id"] for r in client.get("/api/v1/match-reviews").json()["items"]]

    assert mia == [seen] and ada == [seen, *hidden]
    assert refused == [404, 404]


def test_deciding_a_review_needs_the_merge_permission_for_its_parties(world, client_as, crm):
    from crmkit.core.intake.review import get_review, open_reviews

    p = world.parties
    with crm.transaction() as tx:
        [review] = open_reviews(tx, p["sam_own"], [(p["sam_territory"], 0.7)])

    with client_as(world.actors["sam"]) as client:
        refused = client.post(f"/api/v1/match-reviews/{review}", json={"decision": "merge"})

    assert refused.status_code == 403
    with crm.read() as conn:
        assert get_review(conn, review).status == "open"
