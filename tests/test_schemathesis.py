"""The API keeps its OpenAPI promises, for generated, chained and hostile requests alike.

Every operation of ``/api/openapi.json`` (the kernel's alone, then with the sfa
plugin, whose run fuzzes the plugin's operations) is sent requests as an
administrator, and every answer is held to four promises: no 5xx, a documented
status, the documented schema and content type, and an accepted write reads
back (:mod:`tests.api_readback`: what a POST, PUT or PATCH answered 2xx for is
what each GET the document links it to returns, and each value sent reads back
under the documented normalisation).

- Generated requests (schemathesis): valid ones and ones breaking the schema on purpose.
- Chained requests (schemathesis' stateful testing): sequences that follow the
  document's links, create -> read -> change -> delete, carrying ids and versions.
- Hostile requests (:mod:`tests.hostile_inputs`): each kind of hostile value in
  each parameter, header and body field of each operation, the rest of the request valid.

Most generated requests carry plausible values where the schema cannot say what
a server takes (:mod:`tests.plausible_values`: phone numbers, the seeded records'
ids), so that writes get accepted and their read-back is put to the test.

The everyday suite sends a few; ``.ci/schemathesis`` sets ``CRMKIT_SCHEMATHESIS_SCALE``
to send five times as many, on SQLite and PostgreSQL. Runs are derandomised, so
a failure repeats. Each test reports every distinct failure it met (the
exception the server logged for a 5xx), not only the first.

The public lead form is fuzzed like the rest, as JSON and as a form: once its
budget per client address is used up it answers 429 with ``Retry-After``, and a
filled-in honeypot answers as success; both are documented answers.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import traceback
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import pytest
import schemathesis
from attrs import define, field, frozen
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core import NotSet
from schemathesis.core.failures import FailureGroup

from crmkit import Actor, hookimpl
from crmkit.app import Crm
from crmkit.core.interactions import build_interaction, log_interaction
from crmkit.core.parties import build_party, create_party
from crmkit.core.users import build_user, create_user
from crmkit.testing import http_client, register_plugin
from crmkit.web.app import create_asgi
from tests.api_readback import Mismatch, read_back_problems
from tests.hostile_inputs import KINDS, Kind, Slot, sent_json, slots, values_for, with_body_value
from tests.plausible_values import use_plausible_values

if TYPE_CHECKING:
    from starlette.testclient import TestClient

SCALE = int(os.environ.get("CRMKIT_SCHEMATHESIS_SCALE", "1"))
"""``.ci/schemathesis`` raises it for the thorough run; the everyday suite stays quick."""
EXAMPLES = {GenerationMode.POSITIVE: 6 * SCALE, GenerationMode.NEGATIVE: 4 * SCALE}
"""Generated requests per operation: valid ones, and ones breaking the schema on purpose."""
SEQUENCES = 15 * SCALE
"""Chained scenarios per run, each up to ``STEPS`` requests."""
STEPS = 8
HOSTILE = 1 + SCALE // 5
"""Requests per operation, input slot and kind of hostile value: every kind goes into every
slot each time, so more runs only vary the rest of the request."""
ROOT = Path(__file__).resolve().parents[1]

CHECKS = [
    # A 5xx is recorded before these run, with the exception the server logged (Findings).
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


def _settings(examples: int, **options: Any) -> settings:
    defaults: dict[str, Any] = {
        "deadline": None,
        "suppress_health_check": list(HealthCheck),
        "derandomize": True,
        "database": None,
        # Each failure is recorded and the run goes on (see Findings): nothing to shrink.
        "phases": (Phase.explicit, Phase.generate),
    }
    return settings(max_examples=examples, **{**defaults, **options})


# --- The application under test.


@frozen
class Api:
    """One application, its schemathesis schema, an HTTP client and the operations fuzzed."""

    crm: Crm
    schema: Any
    client: TestClient
    spec: dict[str, Any]
    prefix: str
    """Only operations whose path starts with it are fuzzed alone (chains cross into the rest)."""

    def operations(self) -> list[Any]:
        found = [result.ok() for result in self.schema.get_all_operations()]
        return [op for op in found if op.path.startswith(self.prefix)]

    def get(self, url: str) -> tuple[int, Any]:
        response = self.client.get(url)
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, None


PLUGIN_SETS = {"kernel": ((), "/"), "sfa": (("sfa",), "/p/sfa/")}


@pytest.fixture(params=sorted(PLUGIN_SETS))
def api(request: pytest.FixtureRequest, make_crm: Callable[..., Crm]) -> Api:
    plugins, prefix = PLUGIN_SETS[request.param]
    crm = make_crm(plugins=list(plugins))
    admin = _seed(crm)
    signon = register_plugin(
        types.SimpleNamespace(actor_from_request=hookimpl(lambda app, request: admin)),
        name="signon",
    )
    crm = make_crm(plugins=[*plugins, signon], create_tables=False)
    client = http_client(crm)
    if "sfa" in plugins:
        _seed_sales(client)
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", create_asgi(crm))
    use_plausible_values(schema)
    # The document's own links, not schemathesis' guesses: they are what is under test.
    schema.config.phases.stateful.inference.algorithms = []
    return Api(crm, schema, client, client.get("/api/openapi.json").json(), prefix)


def _seed(crm: Crm) -> Actor:
    """A few records, so that reads, changes and merges of low ids find something; the admin acting."""
    with crm.transaction() as tx:
        admin = create_user(tx, build_user({"username": "fuzzer", "role": "admin"}))
        create_user(tx, build_user({"username": "owner", "role": "sales"}))
        for i in range(3):
            for role in ("prospect", "customer"):
                entity = create_party(
                    tx,
                    build_party(
                        role,
                        {"last_name": f"Seed {role} {i}", "phones": [f"+4930123456{i}"]},
                        region="DE",
                    ),
                )
                assert entity.id is not None
                log_interaction(
                    tx,
                    build_interaction(
                        {"party_id": entity.id, "channel": "phone", "direction": "inbound"}
                    ),
                )
    return Actor(user_id=admin.id, username=admin.username, role=admin.role)


def _seed_sales(client: TestClient) -> None:
    """A product, a price list, opportunities, an activity, quotations (one ordered), a target."""
    steps: list[tuple[str, str, dict[str, Any] | None]] = [
        ("POST", "/p/sfa/products", {"code": "P-1", "name": "Widget", "tax_rate": "19"}),
        (
            "POST",
            "/p/sfa/price-lists",
            {
                "name": "Standard",
                "currency": "EUR",
                "prices": [{"product_code": "P-1", "unit_price": "100.00"}],
            },
        ),
        ("POST", "/p/sfa/opportunities", {"party_id": 2, "title": "Deal", "amount": "1000.00"}),
        ("POST", "/p/sfa/opportunities", {"party_id": 1, "title": "Lead", "amount": "50.00"}),
        (
            "POST",
            "/p/sfa/activities",
            {"party_id": 2, "kind": "call", "subject": "Call", "due_at": "2030-01-01T10:00:00Z"},
        ),
        (
            "POST",
            "/p/sfa/quotations",
            {
                "opportunity_id": 1,
                "price_list_id": 1,
                "lines": [{"product_code": "P-1", "quantity": "2"}],
            },
        ),
        ("POST", "/p/sfa/quotations/1/send", None),
        ("POST", "/p/sfa/quotations/1/accept", None),
        (
            "POST",
            "/p/sfa/quotations",
            {
                "opportunity_id": 2,
                "price_list_id": 1,
                "lines": [{"product_code": "P-1", "quantity": "1"}],
            },
        ),
        (
            "POST",
            "/p/sfa/targets",
            {
                "scope": "team",
                "scope_key": "north",
                "period": "2030",
                "value": "1000.00",
                "currency": "EUR",
            },
        ),
    ]
    for method, url, body in steps:
        response = client.request(method, url, json=body)
        assert response.status_code < 300, (method, url, response.text)


# --- Findings: every distinct failure, each reported once.


class ServerErrors(logging.Handler):
    """The exceptions the application logged while answering 500."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.last: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            self.last = describe(record.exc_info[1])

    def take(self) -> str:
        last, self.last = self.last, None
        return last or "no exception logged"


def describe(exc: BaseException) -> str:
    """``Type: message at file:line``, the line the innermost frame of this repository."""
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if f.filename.startswith(str(ROOT)) and "/.venv/" not in f.filename
    ]
    where = (
        f" at {Path(frames[-1].filename).relative_to(ROOT)}:{frames[-1].lineno}" if frames else ""
    )
    message = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {message[:200]}{where}"


@define
class Findings:
    """Distinct failures met during a test: failing at its end lists them all, each once."""

    errors: ServerErrors
    seen: dict[tuple[str, ...], str] = field(factory=dict)

    def add(self, key: tuple[str, ...], text: str) -> None:
        self.seen.setdefault(key, text)

    def server_error(self, route: str, status: int, request: str, slot: str = "") -> None:
        cause = self.errors.take()
        self.add((route, slot, cause), f"{route}{slot}: {status} {cause}\n    {request}")

    def failures(self, route: str, group: BaseException, request: str, slot: str = "") -> None:
        failures = group.exceptions if isinstance(group, FailureGroup) else [group]
        for failure in failures:
            title = getattr(failure, "title", type(failure).__name__)
            message = " ".join(str(getattr(failure, "message", failure)).split())
            text = f"{route}{slot}: {title}: {message[:300]}\n    {request}"
            self.add((route, title, message[:60]), text)

    def mismatches(self, route: str, found: list[Mismatch], request: str, slot: str = "") -> None:
        for mismatch in found:
            key = (route, mismatch.where, mismatch.field)
            self.add(key, f"{route}{slot}: {mismatch}\n    {request}")

    def check(self) -> None:
        assert not self.seen, f"{len(self.seen)} distinct failures:\n" + "\n".join(
            sorted(self.seen.values())
        )


@pytest.fixture
def findings() -> Iterator[Findings]:
    errors = ServerErrors()
    logger = logging.getLogger("crmkit.web.problems")
    logger.addHandler(errors)
    try:
        yield Findings(errors)
    finally:
        logger.removeHandler(errors)


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


def validate(api: Api, findings: Findings, case: Any, response: Any) -> None:
    """Hold one answer to the four promises, recording what it breaks."""
    route = f"{case.method.upper()} {case.operation.path}"
    request = _short(case.as_curl_command())
    if response.status_code >= 500:
        findings.server_error(route, response.status_code, request)
        return
    try:
        case.validate_response(response, checks=CHECKS)
    except (AssertionError, FailureGroup) as exc:
        findings.failures(route, exc, request)
    body = body_of(case) if case.media_type == "application/json" else None
    found = _read_back(api, case.method, case.operation.path, case.path_parameters, body, response)
    findings.mismatches(route, found, request)


def _read_back(
    api: Api, method: str, path: str, parameters: Any, sent: Any, response: Any
) -> list[Mismatch]:
    try:
        answer = response.json()
    except ValueError:
        answer = None
    return read_back_problems(
        api.spec,
        method,
        path,
        response.status_code,
        sent,
        answer,
        api.get,
        path_parameters=parameters or {},
        region=api.crm.settings.default_region,
        replayed=response.headers.get("idempotency-replayed") in ("true", ["true"]),
    )


def takes_input(operation: Any) -> bool:
    """Whether a request to ``operation`` has anything to get wrong: a parameter or a body."""
    parts = (operation.path_parameters, operation.query, operation.headers, operation.body)
    return any(len(part) for part in parts)


# --- The tests.


def test_every_operation_answers_within_its_schema_and_reads_back(
    api: Api, findings: Findings
) -> None:
    operations = api.operations()
    assert len(operations) >= 20  # every operation of the kernel (or of the plugin) is there

    for operation in operations:
        for mode, examples in EXAMPLES.items():
            if mode is GenerationMode.NEGATIVE and not takes_input(operation):
                continue  # GET /api/v1/health: no request breaks a schema that asks for nothing

            @given(case=operation.as_strategy(generation_mode=mode))
            @_settings(examples)
            def answers_within_schema(case: Any) -> None:
                validate(api, findings, case, case.call())

            answers_within_schema()
    findings.check()


def test_chained_requests_follow_the_links_and_read_back(api: Api, findings: Findings) -> None:
    machine = api.schema.as_state_machine()
    scenarios = 0

    class Chains(machine):  # type: ignore[misc, valid-type]
        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            validate(api, findings, case, response)

        def teardown(self) -> None:
            nonlocal scenarios
            scenarios += 1
            super().teardown()

    # The database outlives each scenario, so a replayed choice can meet another state:
    # Hypothesis then stops the run as flaky (schemathesis' runner does the same), and
    # the next seed carries on until the budget is spent. Fixed seeds keep runs repeatable.
    for attempt in range(10):
        if scenarios >= SEQUENCES:
            break
        budget = _settings(SEQUENCES - scenarios, stateful_step_count=STEPS, derandomize=False)
        with contextlib.suppress(Flaky):
            seed(attempt)(Chains).run(settings=budget)
    assert scenarios >= SEQUENCES // 2, f"only {scenarios} scenarios ran"
    findings.check()


def test_hostile_values_in_any_parameter_get_a_clear_answer(api: Api, findings: Findings) -> None:
    schemas = api.spec["components"]["schemas"]
    for operation in api.operations():
        definition = api.spec["paths"][operation.path][operation.method.lower()]
        targets = [
            (slot, kind, values)
            for slot in slots(definition, schemas)
            for kind in KINDS
            if (values := values_for(slot, kind)) is not None
        ]

        # One valid request drawn per example; each slot gets each kind in turn.
        @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE), data=st.data())
        @_settings(HOSTILE)
        def answers_clearly(case: Any, data: st.DataObject) -> None:
            for slot, kind, values in targets:  # noqa: B023 (run within the iteration)
                value = data.draw(values, label=f"{slot} <- {kind.name}")
                _send_hostile(api, findings, case, slot, kind, value)

        answers_clearly()
    findings.check()


def _send_hostile(
    api: Api, findings: Findings, case: Any, slot: Slot, kind: Kind, value: str
) -> None:
    """Send ``case`` with the raw ``value`` of ``kind`` in ``slot``; record what goes wrong."""
    route = f"{case.method.upper()} {case.operation.path}"
    where = f" [{slot} <- {kind.name}]"
    url, headers, content = _hostile_request(case, slot, value)
    response = api.client.request(case.method, url, headers=headers, content=content)
    request = f"{slot} = {_short(value, 120)}"
    if response.status_code >= 500:
        findings.server_error(route, response.status_code, request, where)
        return
    try:
        case.validate_response(response, checks=CHECKS)
    except (AssertionError, FailureGroup) as exc:
        findings.failures(route, exc, request, where)
    sent = sent_json(content) if slot.location == "body" and content else None
    parameters = dict(case.path_parameters or {})
    found = _read_back(api, case.method, case.operation.path, parameters, sent, response)
    findings.mismatches(route, found, request, where)


def _hostile_request(case: Any, slot: Slot, value: str) -> tuple[str, dict[str, str], bytes | None]:
    """The URL, headers and body of ``case`` with the raw ``value`` in ``slot``."""
    path = case.operation.path
    for name, given_value in (case.path_parameters or {}).items():
        raw = value if slot == Slot("path", name) else quote(str(given_value), safe="")
        path = path.replace(f"{{{name}}}", raw)
    query = {
        k: json.dumps(v) if isinstance(v, bool) else v
        for k, v in (case.query or {}).items()
        if slot != Slot("query", k) and v is not None
    }
    url = path + "?" + urlencode(query, doseq=True) if query else path
    if slot.location == "query":
        url += ("&" if query else "?") + f"{quote(slot.name)}={value}"
    headers = {k: str(v) for k, v in (case.headers or {}).items() if k.lower() != "content-type"}
    if slot.location == "header":
        headers[slot.name] = value
    content: bytes | None = None
    body = body_of(case)
    if slot.location == "body":
        headers["content-type"] = "application/json"
        content = with_body_value(body, slot.name, value)
    elif slot.location == "form":
        headers["content-type"] = "application/x-www-form-urlencoded"
        given_fields = body if isinstance(body, dict) else {}
        fields = {k: v for k, v in given_fields.items() if k != slot.name and v is not None}
        content = (urlencode(fields) + f"&{quote(slot.name)}={value}").lstrip("&").encode()
    elif body is not None and case.media_type == "application/json":
        headers["content-type"] = "application/json"
        content = json.dumps(body).encode()
    return url, headers, content


def body_of(case: Any) -> Any:
    """The body schemathesis generated for ``case``; None when it has none."""
    return None if isinstance(case.body, NotSet) else case.body
