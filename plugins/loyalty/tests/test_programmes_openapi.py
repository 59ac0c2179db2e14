"""Loyalty in the OpenAPI document beside a plugin using the same names (as the surveys plugin
has rules, the campaigns plugin members): loyalty's operations and schemas stay its own, and
its links lead only to its own operations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from attrs import frozen
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import Actor, Crm, hookimpl
from crmkit.testing import http_client, register_plugin
from crmkit.web import json_response, operation


@frozen
class Rule:
    """Another plugin's rule."""

    id: int
    question: str


@frozen
class Member:
    """Another plugin's member."""

    id: int
    list_id: int


@operation("Another plugin's rule", response=Rule, errors=(404,))
def get_rule(request: Request) -> Response:
    return json_response(None, Rule(1, "?"))


@operation("Another plugin's member", response=Member, errors=(404,))
def get_member(request: Request) -> Response:
    return json_response(None, Member(1, 1))


class Acme:
    @hookimpl
    def register_routes(self) -> list[BaseRoute]:
        return [
            Route("/rules/{rule_id:id}", get_rule, methods=["GET"]),
            Route("/members/{member_id:id}", get_member, methods=["GET"]),
        ]


ACME = register_plugin(Acme(), name="acme")


@pytest.fixture
def paths(make_loyalty: Any, make_crm: Callable[..., Crm], staff: Any) -> dict[str, Any]:
    """The OpenAPI document's paths of a CRM with loyalty and the acme plugin."""

    class SignOn:
        @hookimpl
        def actor_from_request(self, app: Crm, request: Any) -> Actor:
            return staff.marketer

    crm = make_loyalty(plugins=(ACME,))
    names = [n for n in crm.host.loaded if n != "acme"]
    app = make_crm(
        plugins=[*names, ACME, register_plugin(SignOn(), name="signon")],
        settings=crm.settings,
        create_tables=False,
    )
    with http_client(app) as http:
        found: dict[str, Any] = http.get("/api/openapi.json").json()["paths"]
    return found


def _refs(found: Any) -> set[str]:
    if isinstance(found, dict):
        own = {found["$ref"].rsplit("/", 1)[1]} if "$ref" in found else set()
        return own.union(*(_refs(v) for v in found.values()))
    if isinstance(found, list):
        return set().union(*(_refs(v) for v in found))
    return set()


def test_loyaltys_operations_and_schemas_are_its_own_beside_a_plugin_of_the_same_names(
    paths: dict[str, Any],
) -> None:
    ours = {p: items for p, items in paths.items() if p.startswith("/p/loyalty/")}
    theirs = {p: items for p, items in paths.items() if p.startswith("/p/acme/")}
    assert theirs, "the other plugin's routes are in the document"
    ids = {item["operationId"] for items in ours.values() for item in items.values()}
    assert all(i.startswith("loyalty_") for i in ids), sorted(ids)
    for items in ours.values():
        for item in items.values():
            for answer in item["responses"].values():
                assert set(answer.get("links", {})) <= ids
    assert _refs(ours) & _refs(theirs) == {"Problem"}  # the kernel's, shared by design


def test_enrolling_redeeming_and_adjusting_declare_both_their_answers(
    paths: dict[str, Any],
) -> None:
    for path in (
        "/p/loyalty/members",
        "/p/loyalty/members/{member_id}/redemptions",
        "/p/loyalty/members/{member_id}/adjustments",
    ):
        assert {"200", "201"} <= set(paths[path]["post"]["responses"]), path
