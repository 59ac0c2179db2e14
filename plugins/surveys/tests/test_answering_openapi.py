"""The public answer routes in the OpenAPI document: what they take and answer, and no
promise of a signature they do not check."""

from __future__ import annotations

import json
from typing import Any

from crmkit import Crm
from crmkit.testing import add_user


def test_the_public_routes_say_what_they_take_and_answer(crm: Crm, client_as: Any) -> None:
    document = client_as(add_user(crm, "ada", "admin")).get("/api/openapi.json").json()
    paths = document["paths"]
    page = paths["/p/surveys/a/{token}"]["get"]
    assert {p["name"] for p in page["parameters"]} == {"token", "page", "lang"}
    assert "text/html" in page["responses"]["200"]["content"]
    assert {"404", "409", "410"} <= set(page["responses"])
    post = paths["/p/surveys/a/{token}"]["post"]
    assert post["summary"] == "Send a page of answers"
    form = post["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    schema = document["components"]["schemas"][form["$ref"].rsplit("/", 1)[1]]
    assert set(schema["properties"]) == {"page", "lang", "action"}
    assert schema["additionalProperties"] == {"type": "string"}
    assert {"200", "303", "403", "409", "410", "422"} <= set(post["responses"])
    assert "text/html" in post["responses"]["409"]["content"]
    opened = paths["/p/surveys/o/{token}"]["get"]
    assert "303" in opened["responses"] and "404" in opened["responses"]
    for item in (page, post, opened):
        assert item["security"] == []
        assert "403" not in item["responses"] or item is post
    told = json.dumps([page, post, opened])
    assert "signed per" not in told and "signature" not in told
