"""Intake never discloses or changes a party its caller may not see, whatever the source.

Matching still finds every party (no duplicate is created), but a match the
caller may not change, or that an unvouched source would add to, is stored as a
new prospect for review and handed to the party's owner; the answer carries
nothing of the party. See :mod:`crmkit.core.intake.merge_rule`.
"""

from __future__ import annotations

import csv
import json
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
from sqlalchemy import select

from crmkit import SYSTEM, Actor, hookimpl, intake_prospect
from crmkit.app import Crm
from crmkit.core.entities import User
from crmkit.core.importing import import_parties
from crmkit.core.intake.review import list_reviews
from crmkit.core.lookup import lookup
from crmkit.core.notifications import list_notifications
from crmkit.core.parties import build_party, create_party, get_party
from crmkit.core.tables import interaction, outbox
from crmkit.core.users import create_user
from crmkit.testing import http_client, register_plugin

TAKERS = ["ada", "mia", "sam", "sue", "sid", "max"]
"""Every role of the world that may take prospects in (rob, read-only, may not)."""
CSRF = "c" * 32


def posted(name: str, i: int) -> dict[str, Any]:
    """The name and email of the world's party ``name``, with a phone and an address it lacks."""
    return {
        "first_name": name,
        "last_name": "Leakcheck",
        "emails": [f"{name}@example.org"],
        "phones": [f"+49 89 3{i}84 7261"],
        "addresses": [{"street": "Alte Gasse 3", "postcode": "10117", "city": "Berlin"}],
    }


def party_of(crm: Crm, party_id: int) -> Any:
    with crm.read() as conn:
        return get_party(conn, party_id)


def state(crm: Crm, party_id: int) -> dict[str, Any]:
    """Everything stored of a party, to compare before and after."""
    return attrs.asdict(party_of(crm, party_id), recurse=False)


def newest_prospect(crm: Crm) -> int:
    with crm.read() as conn:
        found = conn.execute(
            select(outbox.c.entity_id)
            .where(outbox.c.event_type == "prospect.created")
            .order_by(outbox.c.id.desc())
            .limit(1)
        ).scalar_one()
    return int(found)


def check_handed_over(crm: Crm, hidden_id: int, before: Any, new_id: int) -> None:
    """The hidden party is unchanged; the new prospect is queued against it and given to its owner."""
    assert state(crm, hidden_id) == attrs.asdict(before, recurse=False), "the party changed"
    with crm.read() as conn:
        reviews = list_reviews(conn, status="open", cursor=None, limit=500).items
    assert [r.existing_id for r in reviews if r.candidate_id == new_id] == [hidden_id]
    if before.owner_id is None:
        return
    assert party_of(crm, new_id).owner_id == before.owner_id
    with crm.read() as conn:
        told = list_notifications(conn, before.owner_id).items
    assert [n.link for n in told if n.kind == "duplicate"].count(f"/parties/{new_id}") == 1


@pytest.mark.parametrize("name", TAKERS)
def test_api_intake_merges_only_into_parties_the_caller_may_change(
    crm: Crm, world: Any, client_as: Callable[..., Any], name: str
) -> None:
    with client_as(world.actors[name]) as client:
        for i, (party_name, party_id) in enumerate(sorted(world.parties.items())):
            before = party_of(crm, party_id)
            response = client.post("/api/v1/prospects", json=posted(party_name, i))
            body = response.json()
            if party_name in world.sees[name]:
                assert response.status_code == 200, (party_name, body)
                assert body["outcome"] == "merged" and body["party"]["id"] == party_id
                continue
            assert response.status_code == 201, (party_name, body)
            assert body["outcome"] == "review" and body["party"] is None, party_name
            assert "Location" not in response.headers
            # The caller's own data comes back (its findings), nothing of the party it matched.
            assert set(body) == {
                "outcome",
                "party",
                "findings",
                "quality",
                "score",
                "band",
                "reviews",
            }
            answer = json.dumps(body)
            assert before.phones[1].e164 not in answer and "owner" not in answer
            check_handed_over(crm, party_id, before, newest_prospect(crm))


def test_a_caller_without_the_write_permission_takes_nothing_in(
    crm: Crm, world: Any, client_as: Callable[..., Any]
) -> None:
    before = party_of(crm, world.parties["sam_own"])
    with client_as(world.actors["rob"]) as client:
        response = client.post("/api/v1/prospects", json=posted("sam_own", 0))
    assert response.status_code == 403
    assert state(crm, world.parties["sam_own"]) == attrs.asdict(before, recurse=False)


def test_an_address_posted_by_another_rep_never_moves_a_party_into_their_territory(
    crm: Crm, client_as: Callable[..., Any]
) -> None:
    with crm.transaction() as tx:
        sam = create_user(
            tx, User(username="sam", display_name="Sam", role="sales", territories=("DE-1",))
        )
        sue = create_user(
            tx, User(username="sue", display_name="Sue", role="sales", territories=("FR",))
        )
        data = {
            "first_name": "Hanna",
            "last_name": "Vogt",
            "emails": ["hanna.vogt@posteo.de"],
            "owner_id": sue.id,
        }
        customer = create_party(tx, build_party("customer", data, region="DE"))
    assert sam.id is not None and customer.id is not None
    sam_actor = Actor(sam.id, "sam", "sales", territories=("DE-1",))
    body = {**posted("x", 0), "first_name": "Hanna", "last_name": "Vogt"}
    body["emails"] = ["hanna.vogt@posteo.de"]

    with client_as(sam_actor) as client:
        taken = client.post("/api/v1/prospects", json=body)
        seen = client.get(f"/api/v1/customers/{customer.id}")

    assert taken.json()["outcome"] == "review" and seen.status_code == 404
    after = party_of(crm, customer.id)
    assert after.addresses == () and after.owner_id == sue.id and after.version == 1


def ui_client(crm_factory: Callable[..., Crm], actor: Actor) -> Any:
    def actor_from_request(app: Crm, request: Any) -> Actor:
        request.state.csrf_token = CSRF
        return actor

    signon = types.SimpleNamespace(actor_from_request=hookimpl(actor_from_request))
    return http_client(crm_factory([register_plugin(signon, name="signon")]))


def test_a_prospect_typed_into_the_ui_is_handed_over_not_merged_into_a_hidden_party(
    crm: Crm, world: Any, make_crm: Callable[..., Crm]
) -> None:
    hidden = world.parties["sue_own"]
    before = party_of(crm, hidden)
    form = {**posted("sue_own", 0), "csrf_token": CSRF, "role": "prospect"}
    form["emails"], form["phones"] = "sue_own@example.org", "+49 89 3084 7261"
    del form["addresses"]

    with ui_client(make_crm, world.actors["sam"]) as client:
        page = client.post("/parties/new?role=prospect", data=form, follow_redirects=False)

    assert page.status_code == 201 and "handed to that colleague" in page.text
    assert "IT" not in page.text and "555 100" not in page.text
    check_handed_over(crm, hidden, before, newest_prospect(crm))


def test_the_anonymous_lead_form_adds_no_contact_point_to_an_existing_customer(
    crm: Crm, world: Any
) -> None:
    customer = world.parties["mia_own"]  # a customer without an address
    before = party_of(crm, customer)
    enquiry = {
        "first_name": "mia_own",
        "last_name": "Leakcheck",
        "email": "mia_own@example.org",
        "phone": "+49 89 3084 7261",
        "postcode": "10117",
        "city": "Berlin",
        "country": "DE",
        "message": "Please call me back",
    }

    answer = http_client(crm).post("/forms/lead", json=enquiry)

    assert answer.status_code == 202 and answer.json() == {"status": "received"}
    new_id = newest_prospect(crm)
    check_handed_over(crm, customer, before, new_id)
    with crm.read() as conn:
        callers = lookup(conn, "phone", "+498930847261")
    assert [p.id for p in callers] == [new_id]


def test_a_lead_form_enquiry_adding_nothing_is_merged_with_its_message_on_the_timeline(
    crm: Crm, world: Any
) -> None:
    customer = world.parties["mia_own"]
    enquiry = {
        "first_name": "mia_own",
        "last_name": "Leakcheck",
        "email": "mia_own@example.org",
        "phone": "+49 30 555 1004",
        "message": "Any news on my order?",
    }

    newest = newest_prospect(crm)

    answer = http_client(crm).post("/forms/lead", json=enquiry)

    assert answer.status_code == 202 and newest_prospect(crm) == newest
    with crm.read() as conn:
        summaries = conn.execute(
            select(interaction.c.summary).where(interaction.c.party_id == customer)
        ).scalars()
        assert "Any news on my order?" in list(summaries)


@pytest.mark.parametrize(
    ("vouched", "outcome"), [(None, "review"), (False, "review"), (True, "merged")]
)
def test_a_plugin_running_as_the_system_must_vouch_for_data_to_merge_it(
    crm: Crm, world: Any, vouched: bool | None, outcome: str
) -> None:
    customer = world.parties["unowned_fr"]
    before = party_of(crm, customer)

    result = intake_prospect(
        crm, SYSTEM, posted("unowned_fr", 0), source="webhook", vouched=vouched
    )

    assert result.outcome == outcome and result.handed_over == (outcome == "review")
    if outcome == "review":
        assert state(crm, customer) == attrs.asdict(before, recurse=False)


def test_a_plugin_acting_for_a_user_obeys_that_users_scope(crm: Crm, world: Any) -> None:
    hidden = world.parties["sue_own"]
    before = party_of(crm, hidden)

    result = intake_prospect(crm, world.actors["sam"], posted("sue_own", 0), source="connector")

    assert result.outcome == "review" and result.handed_over
    check_handed_over(crm, hidden, before, result.party_id or 0)


def test_an_import_vouches_for_its_rows_and_merges_them(
    crm: Crm, world: Any, tmp_path: Path
) -> None:
    customer = world.parties["unowned_fr"]
    path = tmp_path / "prospects.csv"
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["first_name", "last_name", "email", "phone"])
        writer.writerow(["unowned_fr", "Leakcheck", "unowned_fr@example.org", "+49 89 3084 7261"])

    result = import_parties(crm, "prospect", path)

    assert (result.merged, result.created) == (1, 0)
    assert "+498930847261" in {p.e164 for p in party_of(crm, customer).phones}


def test_a_review_of_a_party_the_manager_may_not_see_is_not_there_for_them(
    crm: Crm, world: Any, client_as: Callable[..., Any]
) -> None:
    hidden = world.parties["ada_de2"]  # the admin's, outside the manager's team
    taken = intake_prospect(crm, world.actors["sam"], posted("ada_de2", 0), source="api")
    (review,) = taken.reviews

    with client_as(world.actors["mia"]) as client:
        answer = client.post(f"/api/v1/match-reviews/{review}", json={"decision": "merge"})
        unknown = client.post("/api/v1/match-reviews/999999", json={"decision": "merge"})

    assert answer.status_code == 404 and str(hidden) not in answer.json()["detail"]
    assert answer.json()["detail"] == unknown.json()["detail"].replace("999999", str(review))


def test_repeats_of_a_handed_over_prospect_are_each_reviewed_once(crm: Crm, world: Any) -> None:
    for i in range(4):
        taken = intake_prospect(crm, world.actors["sam"], posted("sue_own", i), source="api")
        assert taken.reviews and len(taken.reviews) == 1, taken.reviews
