"""The JSON routes under /p/sfa/: opportunities through their lifecycle, problems, the OpenAPI document."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

import pytest
from crmkit_sfa.pipeline.tables import activity, opportunity
from sqlalchemy import func, select

from crmkit import Actor, Crm, get_party
from crmkit.testing import http_client

if TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import PartyMaker, SalesTeam

ADMIN = Actor(user_id=None, username="ada", role="admin")


def test_opportunity_lifecycle_over_http(
    crm: Crm, team: SalesTeam, new_party: PartyMaker, crm_as: Callable[[Actor], Crm]
) -> None:
    party = new_party(owner_id=team.seller.user_id)
    with http_client(crm_as(team.seller)) as client:
        created = client.post(
            "/p/sfa/opportunities",
            json={
                "party_id": party,
                "title": "Conveyor",
                "amount": "9999.90",
                "stage": "qualification",
            },
        )
        assert created.status_code == 201, created.text
        opp = created.json()
        assert (opp["amount"], opp["currency"], opp["probability"]) == ("9999.90", "EUR", 30)
        url = f"/p/sfa/opportunities/{opp['id']}"
        blocked = client.post(f"{url}/stage", json={"stage": "rfp_received"})
        assert blocked.status_code == 422
        assert blocked.json()["field"] == "expected_close"
        changed = client.patch(
            url, json={"expected_close": "2027-01-31", "version": opp["version"]}
        )
        assert changed.status_code == 200 and changed.json()["version"] == 2
        # Whoever still holds version 1 gets a conflict, and nothing changes.
        stale = client.patch(url, json={"title": "Other", "version": 1})
        assert stale.status_code == 409
        moved = client.post(f"{url}/stage", json={"stage": "rfp_received", "version": 2})
        assert moved.status_code == 200 and moved.json()["probability"] == 50
        [step] = client.get(f"{url}/activities").json()
        assert step["playbook_step"] == "rfp_received.send_proposal"
        won = client.post(f"{url}/won", json={"version": 3})
        assert won.status_code == 200 and won.json()["status"] == "won"
        assert client.get(url).json()["title"] == "Conveyor"
    with crm.read() as conn:
        assert get_party(conn, party).role == "customer"


def test_a_patch_that_changes_nothing_answers_the_opportunity_at_its_version(
    crm: Crm, team: SalesTeam, new_party: PartyMaker, crm_as: Callable[[Actor], Crm]
) -> None:
    party = new_party(owner_id=team.seller.user_id)
    with http_client(crm_as(team.seller)) as client:
        opp = client.post("/p/sfa/opportunities", json={"party_id": party, "title": "Lift"}).json()
        url = f"/p/sfa/opportunities/{opp['id']}"

        empty = client.patch(url, json={"version": 1})
        same = client.patch(url, json={"title": "Lift", "stage": opp["stage"], "version": 1})

        for response in (empty, same):
            assert response.status_code == 200, response.text
            assert response.json() == opp
        assert client.get(url).json()["version"] == 1


def test_bad_bodies_are_problems_naming_the_field(
    crm: Crm, team: SalesTeam, new_party: PartyMaker, crm_as: Callable[[Actor], Crm]
) -> None:
    party = new_party(owner_id=team.seller.user_id)
    with http_client(crm_as(team.seller)) as client:
        float_amount = client.post(
            "/p/sfa/opportunities", json={"party_id": party, "title": "x", "amount": 1.5}
        )
        no_title = client.post("/p/sfa/opportunities", json={"party_id": party})
        listed = client.get("/p/sfa/opportunities?limit=0")
        status = client.get("/p/sfa/opportunities?status=pending")
        kind = client.get("/p/sfa/activities?kind=lunch")
        lost = client.post("/p/sfa/opportunities", json={"party_id": party, "title": "y"})
        no_reason = client.post(f"/p/sfa/opportunities/{lost.json()['id']}/lost", json={})
    assert float_amount.status_code == 422 and float_amount.json()["field"] == "amount"
    assert no_title.status_code == 422 and no_title.json()["field"] == "title"
    assert listed.status_code == 422 and listed.json()["field"] == "limit"
    assert status.status_code == 422 and status.json()["field"] == "status"
    assert kind.status_code == 422 and kind.json()["field"] == "kind"
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "lost_reason"


# In UTC these fall in the years 0 and 10000.
OVERFLOWING = ["0001-01-01T00:30:00+01:00", "9999-12-31T23:59:59-01:00"]


def forged_cursor(values: list[Any]) -> str:
    """A cursor as the server's look (base64url JSON), holding what no page ends with."""
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("url", "changes", "field"),
    [
        *(
            ("/p/sfa/opportunities", {"amount": amount}, "amount")
            for amount in ([], {}, "1e999999")
        ),
        ("/p/sfa/opportunities", {"amount": "9" * 400}, "amount"),
        ("/p/sfa/opportunities", {"pipeline": []}, "pipeline"),
        ("/p/sfa/opportunities", {"pipeline": {"key": "sales"}}, "pipeline"),
        ("/p/sfa/activities", {"owner_id": 424242}, "owner_id"),
        *(("/p/sfa/activities", {"due_at": moment}, "due_at") for moment in OVERFLOWING),
        ("/p/sfa/activities", {"kind": "meeting", "starts_at": OVERFLOWING[1]}, "starts_at"),
    ],
)
def test_a_body_no_database_takes_is_a_problem_naming_the_field_and_stores_nothing(
    crm: Crm,
    team: SalesTeam,
    new_party: PartyMaker,
    crm_as: Callable[[Actor], Crm],
    url: str,
    changes: dict[str, Any],
    field: str,
) -> None:
    party = new_party(owner_id=team.seller.user_id)
    needed = (
        {"title": "Deal"} if url.endswith("opportunities") else {"kind": "call", "subject": "Hi"}
    )
    with http_client(crm_as(team.seller)) as client:
        response = client.post(url, json={"party_id": party, **needed, **changes})
    assert (response.status_code, response.json()["field"]) == (422, field), response.text
    with crm.read() as conn:
        assert conn.execute(select(func.count()).select_from(opportunity)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(activity)).scalar() == 0


def test_an_amount_is_answered_as_it_reads_back(
    team: SalesTeam, new_party: PartyMaker, crm_as: Callable[[Actor], Crm]
) -> None:
    party = new_party(owner_id=team.seller.user_id)
    with http_client(crm_as(team.seller)) as client:
        created = client.post(
            "/p/sfa/opportunities", json={"party_id": party, "title": "Lift", "amount": "1e2"}
        ).json()
        read = client.get(f"/p/sfa/opportunities/{created['id']}").json()
    assert created["amount"] == read["amount"] == "100.00"


@pytest.mark.parametrize(
    ("url", "field"),
    [
        # Beyond what a column holds: the database driver would fail on it (a 500).
        ("/p/sfa/opportunities?owner_id=99999999999999999999", "owner_id"),
        ("/p/sfa/quotations?opportunity_id=99999999999999999999", "opportunity_id"),
        ("/p/sfa/orders?cursor=99999999999999999999", "cursor"),
        *(
            (f"/p/sfa/{path}?cursor={forged_cursor([2**63])}", "cursor")
            for path in ("orders", "quotations")
        ),
        ("/p/sfa/quotations?cursor=" + forged_cursor([0]), "cursor"),
        # Digits to str.isdigit(), not to int().
        ("/p/sfa/activities?party_id=%C2%B2", "party_id"),
        ("/p/sfa/opportunities?limit=%C2%B2", "limit"),
        ("/p/sfa/quotations?limit=%C2%B2", "limit"),
    ],
)
def test_numbers_in_the_query_no_database_takes_are_problems_naming_them(
    team: SalesTeam, crm_as: Callable[[Actor], Crm], url: str, field: str
) -> None:
    with http_client(crm_as(team.manager)) as client:
        response = client.get(url)
    assert (response.status_code, response.json()["field"]) == (422, field), response.text


@pytest.mark.parametrize(
    "url", ["/p/sfa/opportunities", "/p/sfa/activities", "/p/sfa/targets", "/p/sfa/products"]
)
def test_a_body_that_is_no_json_object_is_a_problem_and_creates_nothing(
    crm: Crm, team: SalesTeam, crm_as: Callable[[Actor], Crm], url: str
) -> None:
    with http_client(crm_as(ADMIN)) as client:
        before = client.get(url).json()
        response = client.post(url, json=[{"title": "In a list"}])
        after = client.get(url).json()
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert after == before


def test_pipelines_are_listed_and_only_admins_define_them(
    crm: Crm, team: SalesTeam, crm_as: Callable[[Actor], Crm]
) -> None:
    definition = {
        "key": "service",
        "label": "After-sales",
        "stages": [{"key": "offer", "label": "Offer", "probability": 50}],
    }
    with http_client(crm_as(team.manager)) as client:
        assert client.post("/p/sfa/pipelines", json=definition).status_code == 403
    with http_client(crm_as(ADMIN)) as client:
        assert client.post("/p/sfa/pipelines", json=definition).status_code == 201
        assert client.post("/p/sfa/pipelines", json=definition).status_code == 200
        wrong = client.post("/p/sfa/pipelines", json={**definition, "key": "Bad Key"})
        assert wrong.status_code == 422 and wrong.json()["field"] == "key"
        listed = client.get("/p/sfa/pipelines").json()
    assert [p["key"] for p in listed] == ["sales", "service"]
    assert [s["key"] for s in listed[0]["stages"]][:3] == [
        "initiation",
        "identification",
        "qualification",
    ]


def test_routes_are_in_the_openapi_document(crm_as: Callable[[Actor], Crm]) -> None:
    with http_client(crm_as(ADMIN)) as client:
        document = client.get("/api/openapi.json").json()
    paths = document["paths"]
    assert {"get", "post"} <= set(paths["/p/sfa/opportunities"])
    assert {"get", "patch"} <= set(paths["/p/sfa/opportunities/{opportunity_id}"])
    for path in ("stage", "won", "lost"):
        assert "post" in paths[f"/p/sfa/opportunities/{{opportunity_id}}/{path}"]
    assert "post" in paths["/p/sfa/activities/{activity_id}/complete"]
    assert "post" in paths["/p/sfa/activities/invitations"]
    schemas = document["components"]["schemas"]
    assert schemas["Opportunity"]["properties"]["amount"]["type"] == ["string", "null"]
    assert schemas["OpportunityInput"]["required"] == ["party_id", "title"]
