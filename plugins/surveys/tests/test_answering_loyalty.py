"""With the loyalty plugin installed, its programmes may reward answering a survey."""

from __future__ import annotations

from typing import Any


def test_loyalty_hears_of_the_behaviour_answering_a_survey(make_surveys: Any) -> None:
    crm = make_surveys(with_plugins=("loyalty",))
    announced = {b.name: b for found in crm.host.call("loyalty_behaviours") for b in found}
    answered = announced["surveys.answered"]
    assert (answered.label, answered.event_type) == (
        "Answered a survey",
        "surveys.response_completed",
    )
    assert answered.event_type in crm.event_types
    assert answered.party_of({"party_id": 12, "response_id": 3}) == 12
    assert answered.party_of({"party_id": None, "response_id": 4}) is None
