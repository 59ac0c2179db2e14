"""Untrusted structure is bounded: body nesting, declared sizes, custom values, form text, search.

Nothing a client sends may cost a 500 later: a body nested too deeply is a 400
before it is parsed, a text or a list beyond what its operation declares is a
422 naming the field, and a custom value is refused before it is stored if it
could not be read back. Forms are read by the same rules as JSON bodies.
"""

from __future__ import annotations

import json
import types
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from crmkit import Actor, CustomField, ValidationError, hookimpl
from crmkit.app import Crm
from crmkit.core.custom_fields import CUSTOM_MAX_CHARS, CUSTOM_MAX_DEPTH, check_custom
from crmkit.core.tables import interaction, party
from crmkit.core.untrusted import MAX_DEPTH, check_json_value, check_nesting
from crmkit.testing import http_client, register_plugin, unbounded_inputs
from crmkit.web import RefusedForm
from crmkit.web.payloads import form_fields

ADMIN = Actor(user_id=None, username="tester", role="admin")
PROBLEM = "application/problem+json"
ANN = {"first_name": "Ann", "last_name": "Lee"}
JSON = {"content-type": "application/json"}
FORM = {"content-type": "application/x-www-form-urlencoded"}


class Loyalty:
    @hookimpl
    def register_custom_fields(self) -> list[CustomField]:
        return [
            CustomField("customer", "loyal_note", "text"),
            CustomField("customer", "loyal_tier", "choice", choices=("gold", "silver")),
        ]


def login(actor: Actor = ADMIN) -> Any:
    return register_plugin(
        types.SimpleNamespace(actor_from_request=hookimpl(lambda app, request: actor)),
        name="signon",
    )


@pytest.fixture
def app(make_crm: Callable[..., Crm]) -> Crm:
    return make_crm([login(), register_plugin(Loyalty(), name="loyal")])


def problem(response: Any, status: int, field: str) -> str:
    """The detail of the problem ``response`` is, after checking its status and field."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["field"] == field
    detail: str = body["detail"]
    return detail


def count(crm: Crm, table: Any = party) -> int:
    with crm.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def nested(levels: int, inner: str = "1") -> str:
    return "[" * levels + inner + "]" * levels


# --- Nesting, measured before parsing


def test_a_body_nested_a_thousand_levels_deep_is_a_400_and_stores_nothing(app):
    client = http_client(app)
    body = f'{{"last_name": "Lee", "custom": {{"loyal_note": {nested(1000)}}}}}'

    detail = problem(client.post("/api/v1/customers", content=body, headers=JSON), 400, "body")

    assert f"deeper than {MAX_DEPTH}" in detail
    assert count(app) == 0


def test_every_json_write_route_refuses_deep_nesting_alike(app):
    client = http_client(app)
    deep = f'{{"party_id": 1, "refs": {nested(1000)}}}'
    for method, path in (
        ("POST", "/api/v1/interactions"),
        ("POST", "/api/v1/users"),
        ("PATCH", "/api/v1/customers/1"),
    ):
        answer = client.request(method, path, content=deep, headers=JSON)
        assert "deeper than" in problem(answer, 400, "body"), path
    assert count(app, interaction) == 0


def test_the_public_lead_form_refuses_a_deeply_nested_enquiry(crm):
    body = f'{{"email": "lee@example.com", "last_name": {nested(1000)}}}'

    answer = http_client(crm).post("/forms/lead", content=body, headers=JSON)

    assert "deeper than" in problem(answer, 400, "body")
    assert count(crm) == 0


def test_brackets_that_never_close_are_refused_before_parsing(app):
    answer = http_client(app).post("/api/v1/customers", content="[" * 100_000, headers=JSON)

    assert "do not pair up" in problem(answer, 400, "body")


def test_nesting_up_to_the_limit_is_parsed_and_judged_on_its_content(app):
    body = f'{{"last_name": "Lee", "nickname": {nested(MAX_DEPTH - 1)}}}'

    answer = http_client(app).post("/api/v1/customers", content=body, headers=JSON)

    problem(answer, 422, "nickname")


def test_brackets_inside_texts_do_not_count_as_nesting():
    check_nesting('{"note": "' + "[{" * 1000 + '", "quote": "\\"[[["}')
    with pytest.raises(ValueError, match="deeper than 3"):
        check_nesting('[[[["]]]]"]]]]', limit=3)


def test_a_body_that_is_not_utf8_is_a_400(app):
    body = '{"last_name": "Lee"}'.encode("utf-16")

    answer = http_client(app).post("/api/v1/customers", content=body, headers=JSON)

    assert "UTF-8" in problem(answer, 400, "body")
    assert count(app) == 0


# --- Sizes the body classes declare


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"emails": [f"ann{i}@example.com" for i in range(51)]}, "emails"),
        ({"phones": ["030 1234567"] * 51}, "phones"),
        ({"addresses": [{"city": "Berlin"}] * 21}, "addresses"),
        ({"addresses": [{"city": "B" * 201}]}, "addresses[0].city"),
        ({"source": "s" * 101}, "source"),
        ({"custom": {f"loyal_{i}": 1 for i in range(51)}}, "custom"),
    ],
)
def test_a_text_or_list_beyond_its_declared_size_is_refused_naming_it(app, change, field):
    answer = http_client(app).post("/api/v1/customers", json={**ANN, **change})

    problem(answer, 422, field)
    assert count(app) == 0


def test_a_user_working_too_many_territories_is_refused(app):
    territories = [f"DE-{i}" for i in range(51)]

    answer = http_client(app).post(
        "/api/v1/users", json={"username": "sam", "territories": territories}
    )

    problem(answer, 422, "territories")


def test_every_text_and_list_of_every_kernel_request_body_has_a_limit(app):
    assert unbounded_inputs(http_client(app).get("/api/openapi.json").json()) == []


# --- Custom values: refused before anything is written


def test_a_custom_value_nested_too_deeply_is_refused_naming_it(app):
    value = json.loads(nested(CUSTOM_MAX_DEPTH + 1))

    answer = http_client(app).post(
        "/api/v1/customers", json={**ANN, "custom": {"loyal_tier": value}}
    )

    assert "deeper" in problem(answer, 422, "custom.loyal_tier")
    assert count(app) == 0


def test_a_custom_text_longer_than_any_custom_value_may_be_is_refused(app):
    note = "x" * CUSTOM_MAX_CHARS

    answer = http_client(app).post(
        "/api/v1/customers", json={**ANN, "custom": {"loyal_note": note}}
    )

    assert "longer than" in problem(answer, 422, "custom.loyal_note")
    assert count(app) == 0


def test_free_form_custom_objects_are_held_to_the_same_limits():
    assert check_custom({"a": {"b": [1, "two"]}}) == {"a": {"b": [1, "two"]}}
    for custom, field in (
        ({"deep": [[[[[[[[[1]]]]]]]]]}, "custom.deep"),
        ({"big": ["x" * 100] * 100}, "custom.big"),
        ({"nul": {"x": "a\x00b"}}, "custom.nul"),
        ({f"k{i}": 1 for i in range(51)}, "custom"),
        ({"k" * 101: 1}, "custom"),
        ([1], "custom"),
    ):
        with pytest.raises(ValidationError) as refused:
            check_custom(custom)
        assert refused.value.field == field


def test_a_value_nested_far_beyond_the_stack_is_measured_without_recursion():
    value: list[Any] = []
    for _ in range(100_000):
        value = [value]

    with pytest.raises(ValidationError, match="deeper than 8"):
        check_json_value("custom.x", value, max_depth=8, max_chars=10_000)


# --- Forms: read by the JSON reader's rules


def test_form_text_no_database_stores_is_refused_naming_the_field_and_saves_nothing(app):
    client = http_client(app)
    body = "role=customer&kind=person&first_name=A%00nn&last_name=Lee"

    answer = client.post("/parties/new", content=body, headers=FORM)

    assert answer.status_code == 422
    assert "first_name" in answer.text and "NUL" in answer.text
    assert count(app) == 0


def test_a_refused_form_carries_what_else_was_posted_for_the_page_to_show_again():
    body = b"subject=Hello&kind=a%00b&body=c%00d"

    with pytest.raises(RefusedForm) as refused:
        form_fields(body)

    assert refused.value.field == "kind" and "NUL" in refused.value.reason
    assert refused.value.fields == {"subject": "Hello", "kind": "", "body": ""}


def test_a_form_that_is_not_utf8_is_a_400_instead_of_replacement_characters(app):
    client = http_client(app)
    for body in (b"role=customer&last_name=L\xe9e", b"role=customer&last_name=L%E9e"):
        answer = client.post("/parties/new", content=body, headers=FORM)

        assert answer.status_code == 400, body
        assert "UTF-8" in answer.text
    assert count(app) == 0


def test_the_lead_form_refuses_text_that_is_not_utf8(crm):
    body = b"last_name=Lee&email=lee%40example.com&city=Ber%FFlin"

    answer = http_client(crm).post("/forms/lead", content=body, headers=FORM)

    assert answer.status_code == 400
    assert "not UTF-8" in answer.text and 'name="email"' in answer.text
    assert count(crm) == 0


# --- Search terms


def test_a_search_of_three_thousand_words_is_refused_naming_q(app):
    client = http_client(app)
    words = " ".join(f"w{i}" for i in range(3000))

    problem(client.get("/api/v1/customers", params={"q": words}), 422, "q")
    assert client.get("/search", params={"q": words}).status_code == 422


def test_a_search_looks_for_at_most_ten_words(app):
    client = http_client(app)
    client.post("/api/v1/customers", json=ANN)

    ten = client.get("/api/v1/customers", params={"q": "ann " * 9 + "lee"})
    eleven = client.get("/api/v1/customers", params={"q": "a b c d e f g h i j k"})

    assert [p["last_name"] for p in ten.json()["items"]] == ["Lee"]
    problem(eleven, 422, "q")


def test_search_text_no_database_stores_is_refused(app):
    problem(http_client(app).get("/api/v1/customers", params={"q": "an\x00n"}), 422, "q")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("q=%00", "q"),
        ("sort=name&role=a%00b", "role"),
        ("cursor=%ED%A0%80", "cursor"),
        ("limit=%FF", "limit"),
        ("a%00=1", "a\x00"),
    ],
)
def test_a_query_string_a_database_cannot_compare_is_refused_naming_the_parameter(
    app: Crm, query: str, field: str
) -> None:
    with http_client(app) as client:
        for path in ("/api/v1/customers", "/api/v1/does-not-exist"):
            problem(client.get(f"{path}?{query}"), 422, field)
        assert client.get(f"/customers?{query}").status_code == 422
