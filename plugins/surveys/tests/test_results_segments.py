"""With the campaigns plugin: cross-tabs by segment (each cell only the segment's parties the
reader sees) and the segment criterion ``surveys.answered``, through campaigns' real segments."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest

from crmkit import Crm, utcnow
from crmkit.testing import add_user


@pytest.fixture
def crm(make_surveys: Any) -> Crm:
    return make_surveys(with_plugins=("campaigns",))


def paris_party(new_party: Any) -> int:
    party: int = new_party(
        first_name="Bob",
        role="prospect",
        emails=["bob@example.org"],
        addresses=[{"street": "1 Rue", "postcode": "75001", "city": "Paris", "country": "FR"}],
    )
    return party


def segment(client: Any, name: str, definition: dict[str, Any]) -> int:
    answer = client.post("/p/campaigns/segments", json={"name": name, "definition": definition})
    assert answer.status_code == 201, answer.text
    segment_id: int = answer.json()["id"]
    return segment_id


def test_a_crosstab_by_segment_counts_the_segments_parties_the_reader_sees(
    crm: Crm, staff: Any, client_as: Any, results_kit: Any, new_party: Any
) -> None:
    survey = results_kit.survey()
    ada = new_party(owner_id=staff.manager.user_id)
    bob = paris_party(new_party)
    results_kit.respond(survey, {"nps": 10}, party_id=ada)
    results_kit.respond(survey, {"nps": 2}, party_id=ada)
    results_kit.respond(survey, {"nps": 9}, party_id=bob)
    results_kit.respond(survey, {"nps": 0})
    marketer = client_as(staff.marketer)
    germans = segment(marketer, "Germany", {"criterion": "country", "value": "DE"})
    prospects = segment(marketer, "Prospects", {"criterion": "role", "value": "prospect"})
    url = f"/p/surveys/surveys/{survey[0]}/results/crosstab"
    params = {"question": "nps", "by": "segment", "segment_id": [germans, prospects]}

    def cells(client: Any) -> tuple[int, dict[str, tuple[str, int]]]:
        answer = client.get(url, params=params)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        found = {c["key"]: (c["label"], c["figures"]["answered"]) for c in body["cells"]}
        return body["whole"]["answered"], found

    assert cells(marketer) == (
        4,
        {str(germans): (f"Segment {germans}", 2), str(prospects): (f"Segment {prospects}", 1)},
    )
    # A manager of Paris sees Bob, not Ada: the German segment's cell is empty for him, while
    # the whole still counts every response.
    paris = add_user(crm, "fred", "manager", team="west", territories=("FR-75",))
    assert cells(client_as(paris)) == (
        4,
        {str(germans): (f"Segment {germans}", 0), str(prospects): (f"Segment {prospects}", 1)},
    )
    missing = marketer.get(url, params={**params, "segment_id": 999999})
    assert missing.status_code == 404


def test_segments_select_parties_by_their_survey_answers(
    crm: Crm, staff: Any, client_as: Any, results_kit: Any, new_party: Any
) -> None:
    survey = results_kit.survey()
    other = results_kit.survey("Event feedback")
    ada, bob = new_party(), paris_party(new_party)
    eve, ian = new_party(first_name="Eve"), new_party(first_name="Ian")
    results_kit.respond(survey, {"nps": 4}, party_id=ada)
    results_kit.respond(survey, {"nps": 9}, party_id=bob)
    results_kit.respond(survey, {"nps": 1}, party_id=eve, status="partial")
    results_kit.respond(other, {"nps": 5}, party_id=ian, at=utcnow() - timedelta(days=40))
    client = client_as(staff.marketer)

    def selected(options: dict[str, Any], op: str = "is") -> set[str]:
        definition = {"criterion": "surveys.answered", "op": op, "with": options}
        answer = client.post("/p/campaigns/segments/preview", json={"definition": definition})
        assert answer.status_code == 200, answer.text
        return {p["name"] for p in answer.json()["sample"]}

    assert selected({}) == {"Ada Lovelace", "Bob Lovelace", "Ian Lovelace"}
    assert selected({"survey": survey[0]}) == {"Ada Lovelace", "Bob Lovelace"}
    assert selected({"survey": survey[0], "nps_max": 6}) == {"Ada Lovelace"}
    assert selected({"nps_min": 5, "nps_max": "6"}) == {"Ian Lovelace"}
    assert selected({"within_days": 30}) == {"Ada Lovelace", "Bob Lovelace"}
    assert "Eve Lovelace" in selected({"survey": survey[0]}, op="is_not")
    for options, field in (
        ({"nps_max": 11}, "nps_max"),
        ({"nps_min": "7", "nps_max": 6}, "nps_min"),
        ({"survey": 0}, "survey"),
        ({"survey": "1.5"}, "survey"),
    ):
        definition = {"criterion": "surveys.answered", "with": options}
        answer = client.post("/p/campaigns/segments/preview", json={"definition": definition})
        assert answer.status_code == 422, (options, answer.text)
        assert answer.json()["field"].endswith(f"with.{field}"), answer.json()
        if field == "survey":
            assert "expected a survey id (a whole number)" in answer.text
    assert selected({"survey": 999999}) == set(), "a survey nobody answered matches nobody"


def test_the_criterion_is_offered_to_the_segment_form(staff: Any, client_as: Any) -> None:
    listed = client_as(staff.marketer).get("/p/campaigns/segments/criteria").json()
    [answered] = [c for c in listed if c["name"] == "surveys.answered"]
    assert answered["label"] == "Answered a survey"


def test_the_criteria_module_does_not_import_campaigns() -> None:
    # Surveys loads without campaigns: the hook imports the criteria whether it is there or not.
    probe = (
        "import sys, crmkit_surveys.results.criteria as c; "
        "assert 'crmkit_campaigns' not in sys.modules, 'imported'; print(c.CRITERIA[0].name)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "surveys.answered"
