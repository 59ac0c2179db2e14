"""The API keeps its OpenAPI promises: generated requests get no 5xx and no off-schema answer.

Schemathesis reads ``/api/openapi.json`` and sends each operation a bounded
number of generated requests as an administrator. The everyday suite sends a
few; ``.ci/schemathesis`` sends five times as many, on SQLite and PostgreSQL.

The public lead form is fuzzed like the rest, as JSON and as a form: once its
budget per client address is used up it answers 429 with ``Retry-After``, and a
filled-in honeypot answers as success; both are documented answers.
"""

from __future__ import annotations

import os
import types
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from crmkit import Actor, hookimpl
from crmkit.app import Crm
from crmkit.core.interactions import build_interaction, log_interaction
from crmkit.core.parties import build_party, create_party
from crmkit.core.users import build_user, create_user
from crmkit.testing import register_plugin
from crmkit.web.app import create_asgi

ADMIN = Actor(user_id=None, username="fuzzer", role="admin")
SCALE = int(os.environ.get("CRMKIT_SCHEMATHESIS_SCALE", "1"))
"""``.ci/schemathesis`` raises it for the thorough run; the everyday suite stays quick."""
EXAMPLES = {GenerationMode.POSITIVE: 6 * SCALE, GenerationMode.NEGATIVE: 4 * SCALE}
"""Generated requests per operation: valid ones, and ones breaking the schema on purpose."""


def _seed(crm: Crm) -> None:
    """A few records, so that reads, changes and merges of low ids find something."""
    with crm.transaction() as tx:
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


@pytest.fixture
def api_schema(make_crm: Callable[..., Crm]) -> Any:
    signon = register_plugin(
        types.SimpleNamespace(actor_from_request=hookimpl(lambda app, request: ADMIN)),
        name="signon",
    )
    crm = make_crm(plugins=[signon])
    _seed(crm)
    return schemathesis.openapi.from_asgi("/api/openapi.json", create_asgi(crm))


def takes_input(operation: Any) -> bool:
    """Whether a request to ``operation`` has anything to get wrong: a parameter or a body."""
    parts = (operation.path_parameters, operation.query, operation.headers, operation.body)
    return any(len(part) for part in parts)


CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


def test_every_operation_answers_within_its_schema(api_schema: Any) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20  # the kernel's operations are all in the document

    for operation in operations:
        for mode, examples in EXAMPLES.items():
            if mode is GenerationMode.NEGATIVE and not takes_input(operation):
                continue  # GET /api/v1/health: no request breaks a schema that asks for nothing

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=examples,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
                database=None,
            )
            def answers_within_schema(case: Any) -> None:
                case.call_and_validate(checks=CHECKS)

            answers_within_schema()
