"""Intake in the UI: quality, band and score in the prospect list, findings and merges on the
party page, and the review queue with its merge and dismiss buttons."""

from __future__ import annotations

import types
from typing import Any

import attrs
from sqlalchemy import func, select

from crmkit import SYSTEM, Actor, hookimpl, intake_prospect
from crmkit.app import Crm
from crmkit.core.settings import IntakeSettings
from crmkit.core.tables import party
from crmkit.testing import http_client, register_plugin

ADMIN = Actor(user_id=None, username="tester", role="admin")
SALES = Actor(user_id=None, username="sam", role="sales")
TOKEN = "t" * 32
ANNA = {"first_name": "Anna", "last_name": "Berg", "emails": ["anna.berg@web.de"]}


def app_as(make_crm: Any, actor: Actor = ADMIN, **intake: Any) -> tuple[Crm, Any]:
    def actor_from_request(app: Crm, request: Any) -> Actor:
        request.state.csrf_token = TOKEN
        return actor

    signon = types.SimpleNamespace(actor_from_request=hookimpl(actor_from_request))
    crm = make_crm([register_plugin(signon, name="signon")])
    crm.settings = attrs.evolve(crm.settings, intake=IntakeSettings(**intake))
    return crm, http_client(crm)


def test_the_prospect_list_shows_quality_band_and_score(make_crm):
    crm, client = app_as(make_crm)
    taken = intake_prospect(crm, SYSTEM, {**ANNA, "emails": ["anna@mailinator.com"]}, source="web")

    page = client.get("/prospects").text

    assert "<th>Quality</th><th>Band</th><th>Score</th>" in page
    assert f'<td class="number">{taken.quality}</td>' in page
    assert f'band-{taken.band}">{taken.band}</span>' in page
    assert f'<td class="number">{taken.score}</td>' in page


def test_the_party_page_shows_findings_score_reasons_and_merges(make_crm):
    crm, client = app_as(make_crm)
    first = intake_prospect(crm, SYSTEM, {**ANNA, "phones": ["+49 30 1234567"]}, source="web")
    intake_prospect(
        crm,
        SYSTEM,
        {**ANNA, "emails": [*ANNA["emails"], "a@berg.example"]},
        source="web",
        vouched=True,
    )

    page = client.get(f"/parties/{first.party_id}").text

    assert "<code>phone_fake</code> (phones[0])" in page
    assert "reachable by email" in page
    assert "Merged into this prospect" in page
    assert "<strong>Anna Berg</strong> (taken in) by system" in page
    assert "email added: a@berg.example" in page


def test_the_review_queue_merges_with_a_csrf_protected_form(make_crm):
    crm, client = app_as(make_crm, merge_threshold=1.0, review_threshold=0.5)
    existing = intake_prospect(crm, SYSTEM, ANNA, source="web")
    candidate = intake_prospect(crm, SYSTEM, ANNA, source="web")
    assert candidate.outcome == "review"
    (review_id,) = candidate.reviews

    queue = client.get("/match-reviews").text
    assert f'action="/match-reviews/{review_id}"' in queue
    assert f'/parties/{existing.party_id}"' in queue and f'/parties/{candidate.party_id}"' in queue

    forged = client.post(f"/match-reviews/{review_id}", data={"decision": "merge"})
    assert forged.status_code == 403
    answer = client.post(
        f"/match-reviews/{review_id}",
        data={"decision": "merge", "csrf_token": TOKEN},
        follow_redirects=False,
    )

    assert answer.status_code == 303 and answer.headers["location"] == "/match-reviews"
    with crm.read() as conn:
        assert conn.execute(select(func.count()).select_from(party)).scalar_one() == 1
    assert "No possible duplicates" in client.get("/match-reviews").text


def test_the_review_queue_shows_only_pairs_the_actor_may_see(world, client_as, crm):
    from crmkit.core.intake.review import open_reviews

    p = world.parties
    with crm.transaction() as tx:
        [seen] = open_reviews(tx, p["sam_own"], [(p["mia_own"], 0.7)])
        [hidden] = open_reviews(tx, p["sue_own"], [(p["mia_own"], 0.7)])

    with client_as(world.actors["mia"]) as client:
        page = client.get("/match-reviews").text

    assert f"/match-reviews/{seen}" in page and f"/match-reviews/{hidden}" not in page


def test_the_review_queue_is_for_those_who_may_merge(make_crm):
    _crm, client = app_as(make_crm, SALES)

    assert client.get("/match-reviews").status_code == 403
    assert "/match-reviews" not in client.get("/").text


def test_a_prospect_typed_in_goes_through_intake(make_crm):
    crm, client = app_as(make_crm)
    existing = intake_prospect(crm, SYSTEM, ANNA, source="web")
    form = {"role": "prospect", "kind": "person", "csrf_token": TOKEN}

    fake = client.post("/parties/new", data={**form, "first_name": "Test", "last_name": "Test"})
    again = client.post(
        "/parties/new",
        data={**form, "first_name": "Anna", "last_name": "Berg", "emails": "anna.berg@web.de"},
        follow_redirects=False,
    )

    assert fake.status_code == 422 and "fake_name" in fake.text
    assert again.status_code == 303
    assert again.headers["location"] == f"/parties/{existing.party_id}"
