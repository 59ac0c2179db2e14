"""The results page: headline figures with intervals, charts with text alternatives, the
cross-tab, the text search and the CSV link."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from crmkit import Crm
from crmkit.testing import add_user


def test_the_results_page_shows_figures_charts_and_the_csv_link(
    crm: Crm, staff: Any, client_as: Any, results_kit: Any, new_party: Any
) -> None:
    survey = results_kit.survey()
    ada = new_party()
    for month, score in ((1, 10), (1, 9), (3, 2)):
        results_kit.respond(
            survey,
            {"nps": score, "csat": 5, "topics": ["price"], "why": "<b>Loved</b> it"},
            party_id=ada,
            at=datetime(2026, month, 10, tzinfo=UTC),
        )
    page = client_as(staff.marketer).get(
        f"/p/surveys/page/surveys/{survey[0]}/results", params={"language": "en"}
    )
    assert page.status_code == 200, page.text
    text = page.text
    assert "Results of After-sales survey" in text
    # NPS of 2 promoters and 1 detractor of 3: +33, with its interval.
    assert "+33" in text and "95 % interval" in text
    assert "100.0 %" in text  # CSAT
    # A bar chart per distribution and a line per scored question, each described in words.
    assert text.count('role="img"') == 4 + 3
    assert "<desc" in text and "0: 0; 1: 0; 2: 1;" in text
    assert "2026-01: 100.0; 2026-02: no answers; 2026-03: -100.0" in text
    assert f'<a href="/p/surveys/surveys/{survey[0]}/export.csv?language=en" download>' in text


def test_the_page_shows_a_crosstab_and_search_hits_escaped(
    crm: Crm, staff: Any, client_as: Any, results_kit: Any, new_party: Any
) -> None:
    survey = results_kit.survey()
    ada = new_party()
    response = results_kit.respond(
        survey, {"nps": 3, "why": "<script>alert(1)</script> slow"}, party_id=ada
    )
    results_kit.respond(survey, {"nps": 10}, language="de")
    client = client_as(staff.marketer)
    url = f"/p/surveys/page/surveys/{survey[0]}/results"
    shown = client.get(url, params={"question": "nps", "by": "language", "q": "slow"}).text
    assert re.search(r'<th scope="row">de</th><td>1</td>\s*<td>NPS 100.0</td>', shown)
    assert f'href="/p/surveys/page/responses/{response}"' in shown
    assert "<script>alert(1)</script>" not in shown and "&lt;script&gt;" in shown
    refused = client.get(url, params={"question": "nps", "by": "segment"}).text
    assert "needs the campaigns plugin" in refused
    assert client.get(url, params={"colour": "red"}).status_code == 422


def test_the_page_is_for_results_readers_and_known_surveys(
    crm: Crm, staff: Any, client_as: Any, results_kit: Any
) -> None:
    survey = results_kit.survey()
    reader = add_user(crm, "rita", "read-only")
    assert client_as(reader).get(f"/p/surveys/page/surveys/{survey[0]}/results").status_code == 403
    assert client_as(staff.agent).get("/p/surveys/page/surveys/999999/results").status_code == 404
