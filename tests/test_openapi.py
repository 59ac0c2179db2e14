"""The OpenAPI document: generated from route declarations and attrs types, kernel and plugins alike."""

from __future__ import annotations

import re
import types
from typing import Any

import jsonschema_rs
from attrs import frozen
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from crmkit import Actor, hookimpl
from crmkit.core.web_leads import FORM_LIMIT
from crmkit.testing import http_client, register_plugin
from crmkit.web.openapi import Param, operation

ADMIN = Actor(user_id=None, username="reader", role="admin")


@frozen
class Visit:
    """A visit at a customer's site."""

    party_id: int
    notes: str | None = None


@operation("Log a visit", request=Visit, response=Visit, status=201, errors=(404,))
async def log_visit(request: Request) -> Response:
    return JSONResponse(await request.json(), 201)


async def undeclared(request: Request) -> Response:
    return JSONResponse({})


@operation("Visits of a party", response=list[Visit], query=(Param("limit", int, "Most"),))
async def visits(request: Request) -> Response:
    return JSONResponse([])


def app_with_visits(make_crm: Any) -> Any:
    hooks = types.SimpleNamespace(
        actor_from_request=hookimpl(lambda app, request: ADMIN),
        register_routes=hookimpl(
            lambda: [
                Route("/visits", log_visit, methods=["POST"]),
                Route("/visits", visits, methods=["GET"]),
                Route("/internal", undeclared),
            ]
        ),
    )
    crm = make_crm([register_plugin(hooks, name="visits")])
    return crm, http_client(crm)


def test_document_is_openapi_3_1_covering_every_kernel_resource(make_crm):
    _crm, client = app_with_visits(make_crm)

    doc = client.get("/api/openapi.json").json()

    assert doc["openapi"] == "3.1.0"
    operations = {(m.upper(), p) for p, item in doc["paths"].items() for m in item}
    for expected in [
        ("POST", "/api/v1/customers"),
        ("PATCH", "/api/v1/prospects/{party_id}"),
        ("DELETE", "/api/v1/customers/{party_id}"),
        ("POST", "/api/v1/prospects/{party_id}/convert"),
        ("POST", "/api/v1/parties/{party_id}/merge"),
        ("GET", "/api/v1/parties/{party_id}/timeline"),
        ("GET", "/api/v1/lookup"),
        ("POST", "/api/v1/interactions"),
        ("PATCH", "/api/v1/users/{user_id}"),
    ]:
        assert expected in operations
    ids = [item["operationId"] for p in doc["paths"].values() for item in p.values()]
    assert len(ids) == len(set(ids))


def test_plugin_routes_declare_their_operations_the_same_way(make_crm):
    _crm, client = app_with_visits(make_crm)

    doc = client.get("/api/openapi.json").json()

    post = doc["paths"]["/p/visits/visits"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Visit"
    }
    assert set(post["responses"]) >= {"201", "404", "422"}
    visit = doc["components"]["schemas"]["Visit"]
    assert visit["required"] == ["party_id", "notes"]
    assert visit["properties"]["notes"] == {"type": ["string", "null"]}
    limit = doc["paths"]["/p/visits/visits"]["get"]["parameters"][0]
    assert (limit["name"], limit["in"], limit["schema"]) == ("limit", "query", {"type": "integer"})
    assert "/p/visits/internal" not in doc["paths"]


def test_path_parameters_come_from_the_route(make_crm):
    _crm, client = app_with_visits(make_crm)

    doc = client.get("/api/openapi.json").json()

    (param,) = doc["paths"]["/api/v1/customers/{party_id}"]["get"]["parameters"]
    assert param["in"] == "path" and param["required"] is True
    assert param["schema"]["type"] == "integer"


def test_deletes_declare_their_preconditions_and_only_prospect_lists_a_status(make_crm):
    _crm, client = app_with_visits(make_crm)

    paths = client.get("/api/openapi.json").json()["paths"]

    def names(path: str, method: str) -> set[str]:
        return {p["name"] for p in paths[path][method].get("parameters", [])}

    for path in ("/api/v1/customers/{party_id}", "/api/v1/users/{user_id}"):
        assert {"If-Match", "version"} <= names(path, "delete")
        assert {"409", "412", "428"} <= set(paths[path]["delete"]["responses"])
    assert "status" in names("/api/v1/prospects", "get")
    assert "status" not in names("/api/v1/customers", "get")


def test_a_real_answer_validates_against_its_declared_schema(make_crm):
    _crm, client = app_with_visits(make_crm)
    doc = client.get("/api/openapi.json").json()
    created = client.post(
        "/api/v1/prospects",
        json={"organisation_name": "Acme", "kind": "organisation", "emails": ["a@acme.example"]},
    )
    declared = doc["paths"]["/api/v1/prospects"]["post"]["responses"]["201"]
    schema = {**declared["content"]["application/json"]["schema"], **doc}
    page = client.get("/api/v1/prospects").json()
    page_schema = doc["paths"]["/api/v1/prospects"]["get"]["responses"]["200"]
    list_schema = {**page_schema["content"]["application/json"]["schema"], **doc}

    assert created.status_code == 201 and page["items"]
    assert jsonschema_rs.is_valid(schema, created.json())
    assert jsonschema_rs.is_valid(list_schema, page)
    assert not jsonschema_rs.is_valid(schema, {**created.json(), "role": "customer"})
    assert not jsonschema_rs.is_valid(schema, {**created.json(), "nickname": "A"})


def test_api_reference_page_renders_every_operation_with_local_assets_only(make_crm):
    _crm, client = app_with_visits(make_crm)

    page = client.get("/api/docs")

    assert page.status_code == 200
    assert "POST /api/v1/customers" in page.text
    assert "POST /p/visits/visits" in page.text
    assert 'id="schema-Customer"' in page.text
    assert "POST /forms/lead" in page.text and "application/x-www-form-urlencoded" in page.text
    external = re.findall(r'(?:src|href)="(https?:)?//', page.text)
    assert external == []


def test_public_operations_need_no_token_and_every_other_one_does(make_crm):
    _crm, client = app_with_visits(make_crm)

    doc = client.get("/api/openapi.json").json()

    assert doc["security"] == [{"bearer": []}]
    operations = {
        (method.upper(), path): item
        for path, methods in doc["paths"].items()
        for method, item in methods.items()
    }
    public = {key for key, item in operations.items() if item.get("security") == []}
    assert public == {
        ("GET", "/api/v1/health"),
        ("GET", "/api/openapi.json"),
        ("POST", "/forms/lead"),
    }
    for key, item in operations.items():
        # Nobody logs in to a public operation, so none answers 401.
        assert ("401" in item["responses"]) is (key not in public), key
        assert "security" not in item or key in public


def schema_of(doc: dict[str, Any], answer: dict[str, Any], media: str) -> dict[str, Any]:
    """The schema of one documented answer, resolvable on its own."""
    return {**answer["content"][media]["schema"], **doc}


def test_lead_form_is_described_with_the_fields_a_browser_posts_and_every_answer(make_crm):
    _crm, client = app_with_visits(make_crm)
    doc = client.get("/api/openapi.json").json()
    post = doc["paths"]["/forms/lead"]["post"]
    form = doc["components"]["schemas"]["EnquiryForm"]
    page = client.get("/forms/lead").text

    assert post["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"] == {
        "$ref": "#/components/schemas/EnquiryForm"
    }
    assert set(form["properties"]) == set(
        re.findall(r'<(?:input|textarea)[^>]* name="(\w+)"', page)
    )
    assert form["required"] == [] and form["properties"]["country"]["maxLength"] == 2
    retry_after = post["responses"]["429"]["headers"]["Retry-After"]
    assert retry_after["required"] is True and retry_after["schema"]["type"] == "integer"
    assert "Origin" in post["description"]

    sent = client.post("/forms/lead", json={"last_name": "Schmidt", "email": "anna.s@gmail.com"})
    shown = client.post("/forms/lead", data={"last_name": "Lee", "email": "lee@gmail.com"})
    foreign = client.post("/forms/lead", json={}, headers={"Origin": "https://evil.example"})
    # The honeypot's enquiries count too: with the two above, these spend the address's budget.
    tries = [client.post("/forms/lead", data={"website": "x"}) for _ in range(FORM_LIMIT.attempts)]
    refused = tries[-1]

    assert sent.status_code == 202
    assert jsonschema_rs.is_valid(
        schema_of(doc, post["responses"]["202"], "application/json"), sent.json()
    )
    assert shown.status_code == 200 and "text/html" in post["responses"]["200"]["content"]
    assert foreign.status_code == 403
    problem = schema_of(doc, post["responses"]["403"], "application/problem+json")
    assert jsonschema_rs.is_valid(problem, foreign.json())
    assert refused.status_code == 429 and "text/html" in post["responses"]["429"]["content"]
    assert int(refused.headers["retry-after"]) >= 1


def test_health_answer_validates_against_its_declared_schema(make_crm):
    _crm, client = app_with_visits(make_crm)
    doc = client.get("/api/openapi.json").json()
    answers = doc["paths"]["/api/v1/health"]["get"]["responses"]

    health = client.get("/api/v1/health")

    assert health.status_code == 200
    assert jsonschema_rs.is_valid(schema_of(doc, answers["200"], "application/json"), health.json())
    assert answers["503"]["content"] == answers["200"]["content"]
