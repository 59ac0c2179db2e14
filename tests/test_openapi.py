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
from crmkit.web import HubChallenge, StandardWebhooks, public_route
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
async def visits_endpoint(request: Request) -> Response:
    return JSONResponse([])


def app_with_visits(make_crm: Any) -> Any:
    hooks = types.SimpleNamespace(
        actor_from_request=hookimpl(lambda app, request: ADMIN),
        register_routes=hookimpl(
            lambda: [
                Route("/visits", log_visit, methods=["POST"]),
                Route("/visits", visits_endpoint, methods=["GET"]),
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
        ("GET", "/api/v1/parties/{party_id}/external-ids"),
        ("PUT", "/api/v1/parties/{party_id}/external-ids"),
        ("DELETE", "/api/v1/parties/{party_id}/external-ids"),
        ("GET", "/api/v1/parties/{party_id}/external-ids/history"),
        ("GET", "/api/v1/parties/by-external-id"),
        ("POST", "/api/v1/parties/resolve"),
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


def test_two_plugins_classes_of_one_name_each_keep_their_own_schema(make_crm):
    @frozen
    class Visit:  # another plugin's, of the same name as the visits plugin's
        """A vehicle's visit to the workshop."""

        vehicle: str

    @operation("A fleet visit", response=Visit)
    async def fleet_visit(request: Request) -> Response:
        return JSONResponse({"vehicle": "B-X 1"})

    fleet = types.SimpleNamespace(register_routes=hookimpl(lambda: [Route("/visit", fleet_visit)]))
    visits = types.SimpleNamespace(
        actor_from_request=hookimpl(lambda app, request: ADMIN),
        register_routes=hookimpl(lambda: [Route("/visits", visits_endpoint, methods=["GET"])]),
    )
    crm = make_crm([register_plugin(visits, name="visits"), register_plugin(fleet, name="fleet")])

    doc = http_client(crm).get("/api/openapi.json").json()

    schemas = doc["components"]["schemas"]
    ours = doc["paths"]["/p/visits/visits"]["get"]["responses"]["200"]["content"]
    theirs = doc["paths"]["/p/fleet/visit"]["get"]["responses"]["200"]["content"]
    ours_ref = ours["application/json"]["schema"]["items"]["$ref"]
    theirs_ref = theirs["application/json"]["schema"]["$ref"]
    assert ours_ref != theirs_ref
    assert set(schemas[ours_ref.rsplit("/", 1)[1]]["properties"]) == {"party_id", "notes"}
    assert set(schemas[theirs_ref.rsplit("/", 1)[1]]["properties"]) == {"vehicle"}


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


def secrets(crm: Any) -> tuple[str, ...]:
    return ()


async def ticket_opened(request: Request) -> Response:
    """A help desk's ticket event."""
    return JSONResponse({})


def confirm(request: Request) -> Response:
    return JSONResponse({})


@frozen
class CodeInLink:
    """A plugin's own scheme: a code its handler checks, no id signed and no secret."""

    parameters = (Param("code", str, "The code the link carried"),)

    def verify(self, crm: Any, request: Request, body: bytes, now: float) -> None:
        return None


def follow(request: Request) -> Response:
    """Follow a link a ticket's email carried."""
    return JSONResponse({})


def test_signed_plugin_routes_are_public_and_name_the_signature_they_expect(make_crm):
    routes = [
        public_route(
            "/tickets",
            operation("Take a ticket event in", request=Visit, status=202)(ticket_opened),
            verifier=StandardWebhooks(secrets),
            per_minute=60,
        ),
        public_route("/tickets", confirm, verifier=HubChallenge(secrets), methods=["GET"]),
        public_route("/links", follow, verifier=CodeInLink(), methods=["GET"]),
    ]
    hooks = types.SimpleNamespace(register_routes=hookimpl(lambda: routes))
    client = http_client(make_crm([register_plugin(hooks, name="helpdesk")]))

    doc = client.get("/api/openapi.json").json()

    post, get = (doc["paths"]["/p/helpdesk/tickets"][m] for m in ("post", "get"))
    assert post["security"] == get["security"] == []
    assert post["summary"] == "Take a ticket event in"
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Visit"
    }
    signed = {(p["in"], p["name"]) for p in post["parameters"] if p["required"]}
    assert signed == {
        ("header", "webhook-id"),
        ("header", "webhook-timestamp"),
        ("header", "webhook-signature"),
    }
    assert {p["name"] for p in get["parameters"]} == {
        "hub.mode",
        "hub.challenge",
        "hub.verify_token",
    }
    assert {"202", "403", "409", "429", "503"} <= set(post["responses"])
    assert "401" not in post["responses"] and "401" not in get["responses"]
    assert post["responses"]["429"]["headers"]["Retry-After"]["required"] is True
    assert "StandardWebhooks" in post["description"] and "60 requests" in post["description"]
    assert get["summary"] == "Signed requests to confirm"
    assert post["operationId"] != get["operationId"]
    # Only what applies: HubChallenge signs no id; a plugin's scheme has no secret either.
    assert "409" not in get["responses"] and "409" not in get["description"]
    assert "503" in get["responses"] and "secret is not configured" in get["description"]
    link = doc["paths"]["/p/helpdesk/links"]["get"]
    assert link["summary"] == "Follow a link a ticket's email carried."
    assert {"409", "503"}.isdisjoint(link["responses"]) and "secret" not in link["description"]
    assert [(p["name"], p["required"]) for p in link["parameters"]] == [("code", True)]


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


@frozen
class Note:
    """A note, with the version an update must name."""

    id: int
    text: str
    version: int


@frozen
class NoteChanges:
    __json_input__ = True

    text: str | None = None
    version: int | None = None


@frozen
class Remark:
    __json_input__ = True

    note_id: int
    text: str


def endpoint(name: str, **declared: Any) -> Any:
    """An endpoint named ``name`` (its operationId) declaring an operation, answering ``{}``."""

    async def answer(request: Request) -> Response:
        return JSONResponse({})

    answer.__name__ = name
    return operation(name.replace("_", " "), **declared)(answer)


def app_with_notes(make_crm: Any) -> dict[str, Any]:
    """A plugin whose notes are created, listed, read, changed, deleted and remarked on."""
    note = "/notes/{note_id:id}"
    routes = [
        Route(
            "/notes",
            endpoint("create_note", request=NoteChanges, response=Note, status=201),
            methods=["POST"],
        ),
        Route("/notes", endpoint("list_notes", response=list[Note]), methods=["GET"]),
        Route(note, endpoint("read_note", response=Note), methods=["GET"]),
        Route(note, endpoint("change_note", request=NoteChanges, response=Note), methods=["PATCH"]),
        Route(
            note,
            endpoint("delete_note", status=204, query=(Param("version", int),)),
            methods=["DELETE"],
        ),
        Route(f"{note}/history", endpoint("note_history", response=list[str]), methods=["GET"]),
        Route("/remarks", endpoint("remark", request=Remark, status=201), methods=["POST"]),
    ]
    hooks = types.SimpleNamespace(register_routes=hookimpl(lambda: routes))
    client = http_client(make_crm([register_plugin(hooks, name="notes")]))
    return client.get("/api/openapi.json").json()


def links_of(doc: dict[str, Any], path: str, method: str, status: str) -> dict[str, Any]:
    return doc["paths"][path][method]["responses"][status].get("links", {})


def test_a_created_record_links_to_every_operation_on_it_and_to_those_naming_it(make_crm):
    doc = app_with_notes(make_crm)

    links = links_of(doc, "/p/notes/notes", "post", "201")

    assert set(links) == {"read_note", "change_note", "delete_note", "note_history", "remark"}
    assert links["read_note"]["parameters"] == {"path.note_id": "$response.body#/id"}
    # A change or a delete names the version read, in the body or the query as it takes it.
    assert links["change_note"]["requestBody"] == {"version": "$response.body#/version"}
    assert links["delete_note"]["parameters"] == {
        "path.note_id": "$response.body#/id",
        "query.version": "$response.body#/version",
    }
    assert links["remark"] == {
        "operationId": "remark",
        "description": "The id of the Note answered, as note_id",
        "requestBody": {"note_id": "$response.body#/id"},
    }


def test_a_list_links_its_first_item_and_an_answer_without_a_record_links_nothing(make_crm):
    doc = app_with_notes(make_crm)

    listed = links_of(doc, "/p/notes/notes", "get", "200")

    assert listed["read_note"]["parameters"] == {"path.note_id": "$response.body#/0/id"}
    assert links_of(doc, "/p/notes/notes/{note_id}/history", "get", "200") == {}
    assert links_of(doc, "/p/notes/remarks", "post", "201") == {}


def test_kernel_and_plugin_links_reach_every_operation_naming_a_record(make_crm):
    client = http_client(make_crm(["sfa"]))
    doc = client.get("/api/openapi.json").json()
    operations = {
        item["operationId"]: (path, item)
        for path, methods in doc["paths"].items()
        for item in methods.values()
    }
    links = [
        link
        for methods in doc["paths"].values()
        for item in methods.values()
        for answer in item["responses"].values()
        for link in answer.get("links", {}).values()
    ]

    linked = {link["operationId"] for link in links}
    assert {op for op, (path, _item) in operations.items() if "{" in path} <= linked
    for link in links:
        _path, target = operations[link["operationId"]]
        takes = {f"{p['in']}.{p['name']}" for p in target.get("parameters", [])}
        assert set(link.get("parameters", {})) <= takes, link
    # A prospect taken in is read through the party of the intake's answer.
    intake = links_of(doc, "/api/v1/prospects", "post", "201")
    assert intake["read_prospect"]["parameters"] == {"path.party_id": "$response.body#/party/id"}


def test_handlers_of_the_same_name_in_two_plugins_get_operation_ids_of_their_own(make_crm):
    def routes_of(module: str) -> list[Route]:
        handler = endpoint("list_runs", response=list[str])
        handler.__module__ = module
        return [Route("/runs", handler, methods=["GET", "POST"])]

    plugins = [
        register_plugin(
            types.SimpleNamespace(register_routes=hookimpl(lambda m=m: routes_of(m))), name=name
        )
        for name, m in (("first", "crmkit_first.runs"), ("second", "crmkit_second.runs"))
    ]
    doc = http_client(make_crm(plugins)).get("/api/openapi.json").json()
    ids = {
        path: {method: item["operationId"] for method, item in items.items()}
        for path, items in doc["paths"].items()
        if path.endswith("/runs")
    }
    # The first served keeps the plain name; the same handler's other method is told apart by
    # the method, the other plugin's handler by its package: never numbered or doubled.
    found = sorted(i for items in ids.values() for i in items.values())
    assert len(found) == 4 == len(set(found)), ids
    assert {"list_runs", "list_runs_post"} < set(found)
    assert {f"{p}.list_runs" for p in ("crmkit_first", "crmkit_second")} & set(found)
    assert {f"{p}.list_runs_post" for p in ("crmkit_first", "crmkit_second")} & set(found)
