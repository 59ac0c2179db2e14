"""Surveys over HTTP: create, read, change with version (409 when stale), save drafts,
publish, close, reopen, delete; refusals naming the field with nothing stored; who may write."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from crmkit_surveys.definitions.language import read_definition, to_json
from crmkit_surveys.definitions.service import create_survey
from crmkit_surveys.definitions.tables import survey, survey_version
from crmkit_surveys.invitations.tables import invitation
from sqlalchemy import func, insert, select

from crmkit import Crm, ValidationError, metadata, utcnow
from crmkit.testing import add_user, unbounded_inputs


def stored(crm: Crm) -> tuple[int, int]:
    with crm.read() as conn:
        surveys = conn.execute(select(func.count()).select_from(survey)).scalar_one()
        versions = conn.execute(select(func.count()).select_from(survey_version)).scalar_one()
    return int(surveys), int(versions)


def events_of(crm: Crm) -> list[tuple[str, dict[str, Any]]]:
    """The surveys events in the outbox, oldest first."""
    outbox = metadata.tables["core_outbox"]
    with crm.read() as conn:
        rows = conn.execute(select(outbox.c.event_type, outbox.c.payload).order_by(outbox.c.id))
        return [(r.event_type, r.payload) for r in rows if r.event_type.startswith("surveys.")]


def test_a_survey_is_created_edited_published_closed_and_reopened(
    crm: Crm, staff: Any, client_as: Any, sample_definition: dict[str, Any]
) -> None:
    client = client_as(staff.marketer)
    created = client.post(
        "/p/surveys/surveys",
        json={
            "name": "After-sales",
            "description": "Asked a week after delivery",
            "default_language": "en",
            "definition": sample_definition,
        },
    )
    assert created.status_code == 201, created.text
    made = created.json()
    assert made["status"] == "draft" and made["published_version_id"] is None
    assert made["owner_id"] == staff.marketer.user_id and made["version"] == 1
    sid = made["id"]

    versions = client.get(f"/p/surveys/surveys/{sid}/versions").json()
    assert [(v["number"], v["status"], v["questions"]) for v in versions] == [(1, "draft", 3)]
    shown = client.get(f"/p/surveys/surveys/{sid}/versions/{versions[0]['id']}").json()
    # Stored as read: every question says whether it is required.
    assert shown["definition"] == to_json(read_definition(sample_definition))
    assert shown["definition"]["pages"][1]["questions"][0]["required"] is False

    renamed = client.patch(f"/p/surveys/surveys/{sid}", json={"version": 1, "name": "Aftersales"})
    assert renamed.status_code == 200 and renamed.json()["version"] == 2
    stale = client.patch(f"/p/surveys/surveys/{sid}", json={"version": 1, "name": "Late"})
    assert stale.status_code == 409
    assert client.get(f"/p/surveys/surveys/{sid}").json()["name"] == "Aftersales"

    published = client.post(f"/p/surveys/surveys/{sid}/publish", json={"version": 2})
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "active"
    assert published.json()["published_version_id"] == versions[0]["id"]
    again = client.post(f"/p/surveys/surveys/{sid}/publish", json={})
    assert again.status_code == 409 and "no draft" in again.json()["detail"]

    closed = client.post(f"/p/surveys/surveys/{sid}/close", json={})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert client.post(f"/p/surveys/surveys/{sid}/close", json={}).status_code == 409
    reopened = client.post(f"/p/surveys/surveys/{sid}/reopen", json={"version": 4})
    assert reopened.status_code == 200 and reopened.json()["status"] == "active"

    listed = client.get("/p/surveys/surveys?status=active").json()
    assert [(s["name"], s["versions"], s["responses"]) for s in listed] == [("Aftersales", 1, 0)]
    assert client.get("/p/surveys/surveys?status=closed").json() == []

    kinds = [kind for kind, _ in events_of(crm)]
    assert kinds == [
        "surveys.survey_created",
        "surveys.survey_updated",
        "surveys.survey_published",
        "surveys.survey_closed",
        "surveys.survey_reopened",
    ]
    # Events name the survey; never a question's text.
    assert all("How likely" not in str(payload) for _, payload in events_of(crm))


def test_a_draft_is_saved_in_place_and_a_published_version_makes_a_new_draft(
    crm: Crm, staff: Any, client_as: Any, sample_definition: dict[str, Any]
) -> None:
    client = client_as(staff.marketer)
    sid = client.post("/p/surveys/surveys", json={"name": "Pulse"}).json()["id"]
    # Without a definition a survey starts with one NPS question in its language.
    first = client.get(f"/p/surveys/surveys/{sid}/versions").json()[0]
    assert (first["number"], first["questions"]) == (1, 1)

    saved = client.put(
        f"/p/surveys/surveys/{sid}/draft", json={"version": 1, "definition": sample_definition}
    )
    assert saved.status_code == 200, saved.text
    assert (saved.json()["id"], saved.json()["number"]) == (first["id"], 1)
    client.post(f"/p/surveys/surveys/{sid}/publish", json={})

    sample_definition["title"]["en"] = "How was it?"
    second = client.put(
        f"/p/surveys/surveys/{sid}/draft", json={"version": 3, "definition": sample_definition}
    )
    assert second.status_code == 200, second.text
    assert second.json()["number"] == 2 and second.json()["status"] == "draft"
    frozen = client.get(f"/p/surveys/surveys/{sid}/versions/{first['id']}").json()
    assert frozen["definition"]["title"]["en"] == "How did we do?"
    assert client.get(f"/p/surveys/surveys/{sid}").json()["published_version_id"] == first["id"]
    stale = client.put(
        f"/p/surveys/surveys/{sid}/draft", json={"version": 3, "definition": sample_definition}
    )
    assert stale.status_code == 409
    assert stored(crm) == (1, 2)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": " "}, "name"),
        ({"name": "A", "default_language": "english"}, "default_language"),
        ({"name": "A", "default_language": "nl"}, "definition"),
        ({"name": "A", "owner_id": 999999}, "owner_id"),
        ({"name": "A", "colour": "red"}, "colour"),
        ({"name": "A", "definition": {"languages": ["en"]}}, "definition.title"),
        (
            {"name": "A", "default_language": "fr", "definition": "SAMPLE"},
            "definition.languages",
        ),
        (
            {"name": "A", "definition": "SAMPLE", "bad": "kind"},
            "definition.pages[0].questions[0].kind",
        ),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(
    crm: Crm,
    staff: Any,
    client_as: Any,
    sample_definition: dict[str, Any],
    body: dict[str, Any],
    field: str,
) -> None:
    if body.get("definition") == "SAMPLE":
        body["definition"] = sample_definition
    if body.pop("bad", None):
        sample_definition["pages"][0]["questions"][0]["kind"] = "stars"
    answer = client_as(staff.marketer).post("/p/surveys/surveys", json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field
    assert stored(crm) == (0, 0)


def test_a_name_is_unique_and_a_bad_draft_changes_nothing(
    crm: Crm, staff: Any, client_as: Any, sample_definition: dict[str, Any]
) -> None:
    client = client_as(staff.marketer)
    sid = client.post("/p/surveys/surveys", json={"name": "Pulse"}).json()["id"]
    twice = client.post("/p/surveys/surveys", json={"name": "Pulse"})
    assert twice.status_code == 422 and twice.json()["field"] == "name"
    for alike in ("pulse", "PULSE"):
        refused_name = client.post("/p/surveys/surveys", json={"name": alike})
        assert refused_name.status_code == 422 and refused_name.json()["field"] == "name"
    client.post("/p/surveys/surveys", json={"name": "Straße"})
    renamed = client.patch(f"/p/surveys/surveys/{sid}", json={"name": "STRASSE", "version": 1})
    assert renamed.status_code == 422 and renamed.json()["field"] == "name"
    assert len(client.get("/p/surveys/surveys").json()) == 2
    sample_definition["pages"][1]["questions"][0]["show_if"] = {"question": "nps", "max": 11}
    refused = client.put(
        f"/p/surveys/surveys/{sid}/draft", json={"version": 1, "definition": sample_definition}
    )
    assert refused.status_code == 422
    assert refused.json()["field"] == "definition.pages[1].questions[0].show_if.max"
    survey_now = client.get(f"/p/surveys/surveys/{sid}").json()
    assert survey_now["version"] == 1
    first = client.get(f"/p/surveys/surveys/{sid}/versions").json()[0]
    shown = client.get(f"/p/surveys/surveys/{sid}/versions/{first['id']}").json()
    assert [q["key"] for p in shown["definition"]["pages"] for q in p["questions"]] == ["nps"]


def test_the_settings_limits_hold_when_saving(
    make_surveys: Any, sample_definition: dict[str, Any]
) -> None:
    crm = make_surveys(surveys={"definitions": {"max_pages": 1, "max_text_length": 20}})

    def refusal(definition: dict[str, Any]) -> str:
        with pytest.raises(ValidationError) as refused, crm.transaction() as tx:
            create_survey(tx, {"name": "A", "definition": definition})
        return refused.value.field

    assert refusal(sample_definition) == "definition.pages"
    del sample_definition["pages"][1]
    sample_definition["title"]["de"] = "Wie waren wir, und was sollten wir ändern?"
    assert refusal(sample_definition) == "definition.title.de"
    assert stored(crm) == (0, 0)


def _invite(crm: Crm, survey_id: int, version_id: int, now: datetime) -> None:
    with crm.transaction() as tx:
        tx.conn.execute(
            insert(invitation).values(
                survey_id=survey_id,
                version_id=version_id,
                dedupe_key=f"test:{survey_id}",
                token_hash="0" * 64,
                channel="email",
                language="en",
                status="sent",
                expires_at=now,
                created_at=now,
            )
        )


def test_a_survey_is_deleted_only_while_nobody_was_invited_to_it(
    crm: Crm, staff: Any, client_as: Any
) -> None:
    client = client_as(staff.marketer)
    kept = client.post("/p/surveys/surveys", json={"name": "Kept"}).json()
    gone = client.post("/p/surveys/surveys", json={"name": "Gone"}).json()
    client.post(f"/p/surveys/surveys/{kept['id']}/publish", json={})
    _invite(crm, kept["id"], kept_version(client, kept["id"]), utcnow())

    used = client.delete(f"/p/surveys/surveys/{kept['id']}?version=2")
    assert used.status_code == 409 and "close it" in used.json()["detail"]
    assert client.delete(f"/p/surveys/surveys/{gone['id']}?version=7").status_code == 409
    assert client.delete(f"/p/surveys/surveys/{gone['id']}?version=1").status_code == 204
    assert client.get(f"/p/surveys/surveys/{gone['id']}").status_code == 404
    assert stored(crm) == (1, 1)


def kept_version(client: Any, survey_id: int) -> int:
    return int(client.get(f"/p/surveys/surveys/{survey_id}").json()["published_version_id"])


def test_every_role_reads_and_only_planners_write(
    crm: Crm, staff: Any, client_as: Any, sample_definition: dict[str, Any]
) -> None:
    sid = client_as(staff.marketer).post("/p/surveys/surveys", json={"name": "Pulse"}).json()["id"]
    reader = client_as(add_user(crm, "rita", "read-only"))
    assert reader.get(f"/p/surveys/surveys/{sid}").status_code == 200
    assert reader.get("/p/surveys/surveys").status_code == 200
    assert reader.post("/p/surveys/surveys", json={"name": "Mine"}).status_code == 403
    assert (
        reader.patch(f"/p/surveys/surveys/{sid}", json={"version": 1, "name": "X"}).status_code
        == 403
    )
    assert reader.post(f"/p/surveys/surveys/{sid}/publish", json={}).status_code == 403
    assert reader.delete(f"/p/surveys/surveys/{sid}?version=1").status_code == 403
    agent = client_as(staff.agent)
    assert agent.get(f"/p/surveys/surveys/{sid}/versions").status_code == 200
    draft = {"version": 1, "definition": sample_definition}
    assert agent.put(f"/p/surveys/surveys/{sid}/draft", json=draft).status_code == 403
    assert (
        client_as(staff.manager).put(f"/p/surveys/surveys/{sid}/draft", json=draft).status_code
        == 200
    )
    assert stored(crm) == (1, 1)


def test_an_unknown_survey_or_a_version_of_another_is_not_found(staff: Any, client_as: Any) -> None:
    client = client_as(staff.marketer)
    one = client.post("/p/surveys/surveys", json={"name": "One"}).json()["id"]
    two = client.post("/p/surveys/surveys", json={"name": "Two"}).json()["id"]
    other = client.get(f"/p/surveys/surveys/{two}/versions").json()[0]["id"]
    assert client.get(f"/p/surveys/surveys/{one}/versions/{other}").status_code == 404
    assert client.get("/p/surveys/surveys/999999").status_code == 404
    assert client.post("/p/surveys/surveys/999999/close", json={}).status_code == 404


def test_every_survey_route_is_documented_with_bounded_bodies(staff: Any, client_as: Any) -> None:
    spec = client_as(staff.marketer).get("/api/openapi.json").json()
    assert unbounded_inputs(spec, "/p/surveys/surveys") == []
    paths = spec["paths"]
    assert set(paths["/p/surveys/surveys/{survey_id}"]) == {"get", "patch", "delete"}
    for action in ("publish", "close", "reopen"):
        assert "post" in paths[f"/p/surveys/surveys/{{survey_id}}/{action}"]
    assert "put" in paths["/p/surveys/surveys/{survey_id}/draft"]
    assert "get" in paths["/p/surveys/surveys/{survey_id}/versions/{version_id}"]


def test_a_survey_without_a_language_takes_its_definitions_first(
    staff: Any, client_as: Any, sample_definition: dict[str, Any]
) -> None:
    sample_definition["languages"] = ["de", "en"]
    client = client_as(staff.marketer)
    made = client.post(
        "/p/surveys/surveys", json={"name": "Umfrage", "definition": sample_definition}
    )
    assert made.status_code == 201 and made.json()["default_language"] == "de"
    plain = client.post("/p/surveys/surveys", json={"name": "Plain"})
    assert plain.json()["default_language"] == "en"


def test_the_starter_question_is_written_in_the_surveys_language(
    staff: Any, client_as: Any
) -> None:
    client = client_as(staff.marketer)
    for language, title in (("de", "Ihre Meinung"), ("fr", "Votre avis"), ("es", "Su opinión")):
        made = client.post(
            "/p/surveys/surveys", json={"name": f"Start {language}", "default_language": language}
        ).json()
        version = client.get(f"/p/surveys/surveys/{made['id']}/versions").json()[0]
        definition = client.get(f"/p/surveys/surveys/{made['id']}/versions/{version['id']}").json()[
            "definition"
        ]
        assert definition["languages"] == [language]
        assert definition["title"] == {language: title}
        [question] = definition["pages"][0]["questions"]
        assert "recommend" not in question["text"][language]
