"""The demo's surveys: published, valid, named as the other parts' demo data finds them,
with the questions, languages and branching the demo answers need."""

from __future__ import annotations

import random

from crmkit_surveys.definitions import service
from crmkit_surveys.definitions.demo import seed
from crmkit_surveys.definitions.language import is_asked

from crmkit import Crm, utcnow
from crmkit.testing import add_user


def test_the_demo_publishes_three_surveys_the_other_parts_find_by_name(crm: Crm) -> None:
    marketer = add_user(crm, "mia", "marketing")
    now = utcnow()
    with crm.transaction() as tx:
        seed(crm, tx.conn, random.Random(7), now)
    with crm.read() as conn:
        found = {s.name: s for s in service.list_surveys(conn)}
        assert sorted(found) == [
            "Delivery satisfaction",
            "Market research 2027",
            "Service follow-up",
        ]
        versions = {}
        for name, summary in found.items():
            assert summary.status == "active" and summary.owner_id == marketer.user_id
            survey = service.find_survey(conn, name)
            assert survey is not None and survey.published_version_id is not None
            version = service.get_version(conn, survey.published_version_id)
            assert version.status == "published" and version.published_at is not None
            assert version.published_at < now
            versions[name] = version.definition

    follow_up = versions["Service follow-up"]
    assert follow_up.languages == ("en", "de")
    kinds = {q.key: q.kind for q in follow_up.questions()}
    assert kinds == {"nps": "nps", "agent_csat": "csat", "improve": "text"}
    improve = follow_up.pages[1].questions[0]
    assert is_asked(improve, {"nps": 6}) and is_asked(improve, {"nps": 8})
    assert not is_asked(improve, {"nps": 9})

    delivery = versions["Delivery satisfaction"]
    assert delivery.languages == ("en",)
    assert [q.kind for q in delivery.questions()] == ["csat", "single", "text"]

    market = versions["Market research 2027"]
    assert market.languages == ("en", "de", "fr") and len(market.pages) == 3
    assert {"single", "multiple", "rating", "text"} <= {q.kind for q in market.questions()}
    assert any(q.other for q in market.questions() if q.kind == "multiple")
    assert [q.show_if is not None for q in market.questions()].count(True) >= 3
