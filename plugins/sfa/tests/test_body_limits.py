"""Bounded bodies under /p/sfa/: nesting, custom values, declared sizes, pipelines, form text.

What the API could not serialise again must never be stored: an opportunity's
``custom`` is held to the kernel's limits before it is written. Collections an
admin sends (pipeline stages, price list tiers, quotation lines) have a most,
refused before any of it is checked one by one.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import pytest
from crmkit_sfa.pipeline.pipelines import parse_pipeline
from crmkit_sfa.pipeline.settings import MAX_STAGES
from crmkit_sfa.pipeline.tables import opportunity, pipeline
from sqlalchemy import func, select

from crmkit import Actor, Crm, ValidationError
from crmkit.testing import http_client, unbounded_inputs

if TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import PartyMaker, SalesTeam

ADMIN = Actor(user_id=None, username="ada", role="admin")
JSON = {"content-type": "application/json"}
FORM = {"content-type": "application/x-www-form-urlencoded"}


def problem(response: Any, status: int, field: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["field"] == field
    detail: str = body["detail"]
    return detail


def count(crm: Crm, table: Any = opportunity) -> int:
    with crm.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def nested(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


def stages(n: int) -> list[dict[str, Any]]:
    return [{"key": f"s{i}", "label": f"Stage {i}", "probability": 50} for i in range(n)]


def test_a_deeply_nested_body_is_a_400_on_a_plugin_route(
    crm: Crm, new_party: PartyMaker, crm_as: Callable[[Actor], Crm]
) -> None:
    party = new_party()
    body = json.dumps({"party_id": party, "title": "Deep"})[:-1] + ', "custom": '
    body += "[" * 1000 + "]" * 1000 + "}"

    with http_client(crm_as(ADMIN)) as client:
        answer = client.post("/p/sfa/opportunities", content=body, headers=JSON)

    assert "deeper than" in problem(answer, 400, "body")
    assert count(crm) == 0


def test_an_opportunity_with_too_deep_custom_data_is_refused_and_not_stored(
    crm: Crm, new_party: PartyMaker, crm_as: Callable[[Actor], Crm]
) -> None:
    party = new_party()
    with http_client(crm_as(ADMIN)) as client:
        answer = client.post(
            "/p/sfa/opportunities",
            json={"party_id": party, "title": "Deep", "custom": {"foo": nested(20)}},
        )
        assert "deeper" in problem(answer, 422, "custom.foo")
        assert count(crm) == 0
        listed = client.get("/p/sfa/opportunities")

    assert listed.status_code == 200 and listed.json() == []


def test_custom_data_is_kept_within_the_limits_and_refused_beyond_them(
    crm: Crm, new_party: PartyMaker, crm_as: Callable[[Actor], Crm]
) -> None:
    party = new_party()
    kept = {"region": {"code": "N", "tags": ["a", "b"]}, "score": 3}
    with http_client(crm_as(ADMIN)) as client:
        created = client.post(
            "/p/sfa/opportunities", json={"party_id": party, "title": "Kept", "custom": kept}
        )
        assert created.status_code == 201, created.text
        url = f"/p/sfa/opportunities/{created.json()['id']}"
        large = client.patch(url, json={"custom": {"notes": "x" * 20_000}, "version": 1})
        many = client.patch(url, json={"custom": {f"k{i}": i for i in range(51)}, "version": 1})
        read = client.get(url)

    assert "longer than" in problem(large, 422, "custom.notes")
    problem(many, 422, "custom")
    assert read.json()["custom"] == kept and read.json()["version"] == 1


def test_a_huge_pipeline_is_refused_at_once_and_defines_nothing(
    crm: Crm, crm_as: Callable[[Actor], Crm]
) -> None:
    huge = {"key": "huge", "label": "Huge", "stages": stages(15_000)}
    with http_client(crm_as(ADMIN)) as client:
        started = time.monotonic()
        answer = client.post("/p/sfa/pipelines", json=huge)
        took = time.monotonic() - started
        fine = client.post("/p/sfa/pipelines", json={**huge, "stages": stages(MAX_STAGES)})

    problem(answer, 422, "stages")
    assert took < 2, f"refusing took {took:.1f} s"
    assert fine.status_code == 201, fine.text
    assert count(crm, pipeline) == 1


def test_a_pipeline_defined_without_http_has_the_same_limits() -> None:
    for definition, field in (
        ({"key": "p", "label": "P", "stages": stages(MAX_STAGES + 1)}, "stages"),
        ({"key": "p", "label": "P" * 101, "stages": stages(1)}, "label"),
        (
            {"key": "p", "label": "P", "stages": [{**stages(1)[0], "norm_days": 10**9}]},
            "stages[0].norm_days",
        ),
    ):
        with pytest.raises(ValidationError) as refused:
            parse_pipeline(definition)
        assert refused.value.field == field


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/p/sfa/opportunities", {"title": "T" * 301}, "title"),
        ("/p/sfa/opportunities", {"products": ["p"] * 51}, "products"),
        ("/p/sfa/opportunities", {"contacts": [{"name": "A", "role": "B"}] * 21}, "contacts"),
        ("/p/sfa/pipelines", {"stages": [{"playbook": [{"key": "k"}] * 21}]}, "stages[0].playbook"),
        ("/p/sfa/price-lists", {"prices": [{"product_code": "X"}] * 2001}, "prices"),
        ("/p/sfa/quotations", {"lines": [{"product_code": "X"}] * 501}, "lines"),
        ("/p/sfa/quotations", {"terms": "t" * 10_001}, "terms"),
    ],
)
def test_a_text_or_list_beyond_its_declared_size_is_refused_naming_it(
    crm: Crm, crm_as: Callable[[Actor], Crm], path: str, body: dict[str, Any], field: str
) -> None:
    with http_client(crm_as(ADMIN)) as client:
        answer = client.post(path, json=body)

    problem(answer, 422, field)


def test_every_text_and_list_of_every_plugin_request_body_has_a_limit(
    crm: Crm, crm_as: Callable[[Actor], Crm]
) -> None:
    with http_client(crm_as(ADMIN)) as client:
        spec = client.get("/api/openapi.json").json()

    assert unbounded_inputs(spec, "/p/sfa/") == []


def test_a_page_form_is_read_by_the_json_rules(
    crm: Crm, team: SalesTeam, new_party: PartyMaker, crm_as: Callable[[Actor], Crm]
) -> None:
    party = new_party(owner_id=team.seller.user_id)
    url = f"/p/sfa/opportunities/new?party_id={party}"
    with http_client(crm_as(team.seller)) as client:
        nul = client.post(url, content="title=Va%00ns&currency=EUR", headers=FORM)
        not_utf8 = client.post(url, content=b"title=V\xe4ns&currency=EUR", headers=FORM)

    assert "NUL" in problem(nul, 422, "title")
    assert "UTF-8" in problem(not_utf8, 400, "body")
    assert count(crm) == 0


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/p/sfa/opportunities?pipeline=%00", "pipeline"),
        ("/p/sfa/opportunities?stage=a%00b", "stage"),
        ("/p/sfa/products?group=%00", "group"),
    ],
)
def test_a_query_parameter_holding_nul_is_refused_on_plugin_routes(
    crm_as: Callable[[Actor], Crm], path: str, field: str
) -> None:
    # PostgreSQL refuses NUL in the comparison it would be put in: a 500 before.
    with http_client(crm_as(ADMIN)) as client:
        problem(client.get(path), 422, field)
