"""The invitations part holds to the plugin contract: its migration makes exactly its tables,
and every text and list of its request bodies has a limit."""

from __future__ import annotations

from crmkit import Crm
from crmkit.testing import check_plugin, http_client, unbounded_inputs

PATHS = (
    "/p/surveys/surveys/{survey_id}/sends",
    "/p/surveys/surveys/{survey_id}/open-link",
    "/p/surveys/rules",
)


def test_the_plugin_honours_the_contract() -> None:
    check_plugin("surveys")


def test_every_text_and_list_of_a_request_body_has_a_limit(crm: Crm) -> None:
    with http_client(crm) as client:
        spec = client.get("/api/openapi.json").json()
    ours = [p for p in spec["paths"] if p.startswith(PATHS)]
    assert (
        "/p/surveys/rules/{rule_id}" in ours
        and "/p/surveys/surveys/{survey_id}/sends/preview" in ours
    )
    assert [
        u for u in unbounded_inputs(spec, "/p/surveys/") if u.split(" ")[1].startswith(PATHS)
    ] == []
    assert "/p/surveys/o/{token}" in spec["paths"]
