"""``crmkit social leads-backfill``: a form's leads no webhook announced, taken once each."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_social.leads.tables import lead
from sqlalchemy import select

from crmkit import Crm
from crmkit.testing import invoke

from .conftest import LEAD_FORM, lead_answer


@pytest.fixture
def crm(social_crm: Crm) -> Crm:
    return social_crm


def _person(n: int) -> dict[str, str]:
    names = ("Jonas Weber", "Lena Vogt", "Paul Richter")
    return {"full_name": names[n], "email": f"{names[n].lower().replace(' ', '.')}@web.de"}


def test_a_forms_leads_are_taken_once_page_by_page(crm: Crm, take_lead: Any, graph: Any) -> None:
    take_lead("960001", lead_answer("960001", fields=_person(0)))  # the webhook brought it
    first = [lead_answer("960001", fields=_person(0)), lead_answer("960002", fields=_person(1))]
    second = [lead_answer("960003", fields=_person(2))]
    path = f"/{LEAD_FORM}/leads"
    graph.respond("GET", path, 200, {"data": second, "paging": {"cursors": {"after": "B"}}})
    graph.respond(
        "GET",
        path,
        200,
        {"data": first, "paging": {"cursors": {"after": "A"}, "next": "https://graph/next"}},
        times=1,
    )
    result = invoke(
        crm,
        "social",
        "leads-backfill",
        "--page",
        "1001",
        "--form",
        LEAD_FORM,
        "--since",
        "2026-12-01",
    )
    assert result.exit_code == 0, result.output
    assert "taken 2, known already 1, failed 0" in result.output
    asked = graph.requests_to("GET", path)
    assert [r.query.get("after") for r in asked] == [None, "A"]
    assert "time_created" in asked[0].query["filtering"]
    with crm.read() as conn:
        assert sorted(conn.execute(select(lead.c.leadgen_id)).scalars()) == [
            "960001",
            "960002",
            "960003",
        ]
    again = invoke(crm, "social", "leads-backfill", "--page", "1001", "--form", LEAD_FORM)
    assert "taken 0, known already 1" in again.output  # the last page, as the server answers now


def test_graph_refusing_and_an_unknown_page_are_said(
    crm: Crm, lead_account: Any, graph: Any
) -> None:
    graph.fail("GET", f"/{LEAD_FORM}/leads", 500, times=1)
    failed = invoke(crm, "social", "leads-backfill", "--page", "1001", "--form", LEAD_FORM)
    assert failed.exit_code == 1 and "run again" in failed.output
    unknown = invoke(crm, "social", "leads-backfill", "--page", "999", "--form", LEAD_FORM)
    assert unknown.exit_code != 0 and "999" in unknown.output
