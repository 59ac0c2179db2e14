"""The knowledge base over HTTP: permissions, versions, search, suggestions, feedback and pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from crmkit import Actor
from crmkit.testing import unbounded_inputs

from .conftest import ServiceTeam, UserMaker

API = "/p/service"
Client = Callable[[Actor], Any]


def create(client: Any, **data: Any) -> dict[str, Any]:
    answer = client.post(f"{API}/articles", json={"title": "T", "body": "B", **data})
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def test_writers_write_and_version_articles(client_as: Client, staff: ServiceTeam) -> None:
    with client_as(staff.agent) as client:
        made = create(client, title="Roaming", body="Roaming is free in the EU.", publish=True)
        assert (made["status"], made["version"], made["published_version"]) == ("published", 1, 1)
        path = f"{API}/articles/{made['id']}"

        draft = client.patch(path, json={"version": 1, "body": "Roaming costs 1 EUR a day."})
        assert draft.status_code == 200 and draft.json()["version"] == 2
        stale = client.patch(path, json={"version": 1, "body": "Lost update"})
        assert stale.status_code == 409
        published = client.post(f"{path}/publish", json={"number": 2, "version": 2})
        assert published.json()["body"] == "Roaming costs 1 EUR a day."

        versions = client.get(f"{path}/versions").json()
        assert [(v["number"], v["author"]) for v in versions] == [(2, "Sam"), (1, "Sam")]
        assert client.get(f"{path}/versions/1").json()["body"] == "Roaming is free in the EU."
        assert client.get(f"{path}/versions/3").status_code == 404

        archived = client.post(f"{path}/archive", json={"version": 2})
        assert archived.json()["status"] == "archived"


def test_readers_see_published_articles_only_and_write_nothing(
    client_as: Client, staff: ServiceTeam, new_user: UserMaker
) -> None:
    with client_as(staff.agent) as client:
        live = create(client, title="Live", body="Live text.", publish=True)
        draft = create(client, title="Draft", body="Draft text.")
    for role in ("read-only", "sales", "marketing"):
        reader = new_user(f"reader-{role}", role)
        with client_as(reader) as client:
            assert client.get(f"{API}/articles/{live['id']}").status_code == 200
            assert client.get(f"{API}/articles/{draft['id']}").status_code == 404
            listed = client.get(f"{API}/articles").json()["items"]
            assert [a["id"] for a in listed] == [live["id"]]
            assert client.get(f"{API}/articles", params={"status": "draft"}).status_code == 403
            assert (
                client.post(f"{API}/articles", json={"title": "x", "body": "y"}).status_code == 403
            )
            edit = {"version": 1, "body": "changed"}
            assert client.patch(f"{API}/articles/{live['id']}", json=edit).status_code == 403
            assert client.get(f"{API}/articles/{live['id']}/versions").status_code == 403
    with client_as(staff.manager) as client:
        assert [
            a["id"]
            for a in client.get(f"{API}/articles", params={"status": "draft"}).json()["items"]
        ] == [draft["id"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"body": "no title"}, "title"),
        ({"title": "t", "body": "b", "visibility": "world"}, "visibility"),
        ({"title": "t", "body": "b", "category_id": 12345}, "category_id"),
        ({"title": "t" * 301, "body": "b"}, "title"),
        ({"title": "t", "body": "b", "secret": 1}, "secret"),
    ],
)
def test_bad_bodies_are_problems_naming_the_field(
    client_as: Client, staff: ServiceTeam, body: dict[str, Any], field: str
) -> None:
    with client_as(staff.agent) as client:
        refused = client.post(f"{API}/articles", json=body)
        assert refused.status_code == 422 and refused.json()["field"] == field
        assert client.get(f"{API}/articles", params={"status": "draft"}).json()["items"] == []


def test_search_suggestions_and_feedback_over_http(client_as: Client, staff: ServiceTeam) -> None:
    with client_as(staff.agent) as client:
        made = create(
            client,
            title="Voicemail PIN",
            body="Reset your voicemail PIN by dialling 5555.",
            publish=True,
            visibility="public",
        )
        found = client.get(f"{API}/articles/search", params={"q": 'voicemail "pin'}).json()
        assert [h["article_id"] for h in found] == [made["id"]]
        assert any(f["matched"] and f["text"].lower() == "voicemail" for f in found[0]["snippet"])
        bad_limit = client.get(f"{API}/articles/search", params={"q": "pin", "limit": "0"})
        assert bad_limit.status_code == 422 and bad_limit.json()["field"] == "limit"
        bad_flag = client.get(f"{API}/articles/search", params={"q": "pin", "public_only": "1"})
        assert bad_flag.status_code == 422 and bad_flag.json()["field"] == "public_only"
        for params, field in (({}, "q"), ({"q": " "}, "q"), ({"q": "pin", "qq": "x"}, "qq")):
            refused = client.get(f"{API}/articles/search", params=params)
            assert refused.status_code == 422 and refused.json()["field"] == field
        typo = client.get(f"{API}/articles", params={"stauts": "draft"})
        assert typo.status_code == 422 and typo.json()["field"] == "stauts"
        public = client.get(f"{API}/articles/search", params={"q": "pin", "public_only": "true"})
        assert [h["article_id"] for h in public.json()] == [made["id"]]

        suggested = client.post(
            f"{API}/articles/suggestions",
            json={"subject": "Forgot my PIN", "body": "I cannot listen to my voicemail"},
        ).json()
        assert [h["article_id"] for h in suggested] == [made["id"]]
        bad = client.post(f"{API}/articles/suggestions", json={"subject": 5})
        assert bad.status_code == 422 and bad.json()["field"] == "subject"

        path = f"{API}/articles/{made['id']}/feedback"
        assert client.post(path, json={"helpful": True, "comment": "Great"}).status_code == 201
        assert client.post(path, json={"helpful": "maybe"}).json()["field"] == "helpful"
        summary = client.get(path).json()
        assert (summary["helpful"], summary["not_helpful"]) == (1, 0)


def test_categories_over_http(client_as: Client, staff: ServiceTeam, new_user: UserMaker) -> None:
    with client_as(staff.agent) as client:
        billing = client.post(f"{API}/article-categories", json={"name": "Billing"})
        assert billing.status_code == 201
        again = client.post(f"{API}/article-categories", json={"name": "BILLING"})
        assert again.status_code == 422 and again.json()["field"] == "name"
    with client_as(new_user("rob", "read-only")) as client:
        assert [c["name"] for c in client.get(f"{API}/article-categories").json()] == ["Billing"]
        assert client.post(f"{API}/article-categories", json={"name": "X"}).status_code == 403


def test_every_request_body_is_bounded(client_as: Client, staff: ServiceTeam) -> None:
    with client_as(staff.agent) as client:
        spec = client.get("/api/openapi.json").json()
    assert unbounded_inputs(spec, f"{API}/article") == []


def test_pages_search_read_write_and_rate(client_as: Client, staff: ServiceTeam) -> None:
    with client_as(staff.agent) as client:
        empty = client.post(
            f"{API}/knowledge/new", data={"title": "", "body": "text", "action": "save"}
        )
        assert empty.status_code == 422 and 'aria-invalid="true"' in empty.text

        made = client.post(
            f"{API}/knowledge/new",
            data={
                "title": "Changing your tariff",
                "body": "Open your account.\n\nChoose a new tariff.",
                "visibility": "public",
                "category_id": "",
                "action": "publish",
            },
            follow_redirects=False,
        )
        assert made.status_code == 303
        page_path = made.headers["location"]
        page = client.get(page_path)
        assert "<p>Choose a new tariff.</p>" in page.text and "live" in page.text

        hits = client.get(f"{API}/knowledge", params={"q": "tariffs"})
        assert "<mark>tariff</mark>" in hits.text

        edited = client.post(
            f"{page_path}/edit",
            data={
                "version": "1",
                "title": "Changing your tariff",
                "body": "Call us.",
                "action": "save",
            },
            follow_redirects=False,
        )
        assert edited.status_code == 303
        stale = client.post(
            f"{page_path}/edit",
            data={
                "version": "1",
                "title": "Changing your tariff",
                "body": "Lost.",
                "action": "save",
            },
        )
        assert stale.status_code == 409 and "someone changed it" in stale.text
        published = client.post(
            page_path, data={"version": "2", "number": "2", "action": "publish"}
        )
        assert "Call us." in published.text

        rated = client.post(f"{page_path}/feedback", data={"helpful": "yes", "comment": "ok"})
        assert "1 found it helpful" in rated.text


def test_a_reader_gets_no_editor(
    client_as: Client, staff: ServiceTeam, new_user: UserMaker
) -> None:
    with client_as(staff.agent) as client:
        made = create(client, publish=True)
    with client_as(new_user("rea", "read-only")) as client:
        page = client.get(f"{API}/knowledge/{made['id']}")
        assert page.status_code == 200 and "Edit (new version)" not in page.text
        assert client.get(f"{API}/knowledge/{made['id']}/edit").status_code == 403
        assert client.get(f"{API}/knowledge/new").status_code == 403
