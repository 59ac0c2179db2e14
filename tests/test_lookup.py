"""Caller lookup (C5): a phone number typed in any common format, or an email, finds the party."""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from crmkit import Actor, hookimpl
from crmkit.app import Crm
from crmkit.core.lookup import contact_key, lookup_query
from crmkit.core.parties import build_party, create_party
from crmkit.core.tables import party
from crmkit.testing import http_client, register_plugin

ADMIN = Actor(user_id=None, username="desk", role="admin")


def login(*more: Any) -> Any:
    hooks = {"actor_from_request": lambda app, request: ADMIN}
    for name, f in more:
        hooks[name] = f
    return register_plugin(
        types.SimpleNamespace(**{k: hookimpl(f) for k, f in hooks.items()}), name="desk"
    )


def add(crm: Crm, role: str = "customer", **data: Any) -> int:
    with crm.transaction() as tx:
        entity = create_party(tx, build_party(role, data, region="DE"))
    assert entity.id is not None
    return entity.id


@pytest.fixture
def desk(make_crm: Callable[..., Crm]) -> tuple[Crm, Any]:
    crm = make_crm([login()])
    return crm, http_client(crm)


@pytest.mark.parametrize(
    "typed",
    ["030 1234567", "+49 30 1234567", "0049-30-123 45 67", "(030) 123-4567", "+493012 34567"],
)
def test_phone_typed_in_any_common_format_finds_the_customer(desk, typed):
    crm, client = desk
    ann = add(crm, last_name="Lee", phones=["+49 30 1234567"])
    add(crm, last_name="Other", phones=["+49 30 7654321"])

    found = client.get("/api/v1/lookup", params={"phone": typed}).json()

    assert [p["id"] for p in found] == [ann]


def test_email_lookup_ignores_case(desk):
    crm, client = desk
    ann = add(crm, "prospect", last_name="Lee", emails=["Ann.Lee@Example.org"])

    found = client.get("/api/v1/lookup", params={"email": "ann.lee@EXAMPLE.org"}).json()

    assert [(p["id"], p["role"]) for p in found] == [(ann, "prospect")]


def test_every_party_sharing_a_number_is_answered(desk):
    crm, client = desk
    ids = {add(crm, last_name=name, phones=["+49 30 1234567"]) for name in ("Lee", "Kim")}

    found = client.get("/api/v1/lookup", params={"phone": "030 1234567"}).json()

    assert {p["id"] for p in found} == ids


def test_unknown_number_finds_nobody(desk):
    crm, client = desk
    add(crm, last_name="Lee", phones=["+49 30 1234567"])

    assert client.get("/api/v1/lookup", params={"phone": "+49 30 9999999"}).json() == []


def test_lookup_shows_only_parties_the_actor_may_see(make_crm):
    def customers_only(actor: Actor, entity_type: str, table: Any) -> Any:
        return table.c.role == "customer" if entity_type == "prospect" else None

    crm = make_crm([login(("permission_filter", customers_only))])
    seen = add(crm, "customer", last_name="Seen", phones=["+49 30 1234567"])
    add(crm, "prospect", last_name="Hidden", phones=["+49 30 1234567"])

    found = http_client(crm).get("/api/v1/lookup", params={"phone": "030 1234567"}).json()

    assert [p["id"] for p in found] == [seen]


def test_lookup_leaves_out_a_party_a_plugin_hides_record_by_record(make_crm):
    def hide_secret(action: str, resource: Any) -> bool | None:
        hidden = action == "core:party.read" and getattr(resource, "last_name", None) == "Secret"
        return False if hidden else None

    crm = make_crm([login(("permission_check", hide_secret))])
    seen = add(crm, last_name="Seen", phones=["+49 30 1234567"])
    add(crm, last_name="Secret", phones=["+49 30 1234567"])

    found = http_client(crm).get("/api/v1/lookup", params={"phone": "030 1234567"}).json()

    assert [p["id"] for p in found] == [seen]


def test_lookup_is_refused_to_a_role_that_may_not_read_parties(make_crm):
    guest = Actor(user_id=None, username="guest", role="guest")
    crm = make_crm([login(("actor_from_request", lambda app, request: guest))])
    add(crm, last_name="Seen", phones=["+49 30 1234567"])

    answer = http_client(crm).get("/api/v1/lookup", params={"phone": "030 1234567"})

    assert answer.status_code == 403


@pytest.mark.parametrize(
    ("params", "field"),
    [({"phone": "not a number"}, "phone"), ({"email": "nobody"}, "email"), ({}, "phone")],
)
def test_unusable_lookup_is_a_problem_naming_the_parameter(desk, params, field):
    _, client = desk

    response = client.get("/api/v1/lookup", params=params)

    assert response.status_code == 422
    assert response.json()["field"] == field


def test_phone_and_email_together_are_refused(desk):
    _, client = desk

    response = client.get("/api/v1/lookup", params={"phone": "030 1", "email": "a@b.org"})

    assert response.status_code == 422


def test_lookup_is_answered_from_the_contact_point_index(crm):
    if crm.engine.dialect.name != "sqlite":
        pytest.skip("the plan of a tiny PostgreSQL table is a sequential scan whatever the index")
    kind, key = contact_key(phone="030 1234567", region="DE")
    query = lookup_query(kind, key, [party.c.role == "customer"])
    sql = str(query.compile(crm.engine, compile_kwargs={"literal_binds": True}))

    with crm.read() as conn:
        plan = " ".join(str(row[-1]) for row in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}")))

    assert "ix_core_contact_point_kind_key" in plan
