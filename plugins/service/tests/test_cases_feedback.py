"""Survey feedback (F2): a tiny surveys plugin calls the kernel's feedback_received hook."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from crmkit_service.cases import service
from crmkit_service.cases.tables import case as case_table
from sqlalchemy import select

from crmkit import Actor, Crm, RecordRef, ValidationError, build_party, create_party
from crmkit.testing import register_plugin


class Surveys:
    """What a surveys plugin does with each answer: store it (here: nothing) and pass it on."""

    def record_answer(
        self,
        app: Crm,
        actor: Actor,
        party_id: int,
        score: int | None,
        text: str | None,
        **more: Any,
    ) -> list[RecordRef]:
        with app.transaction(actor) as tx:
            made: list[RecordRef] = tx.hooks.call(
                "feedback_received",
                tx=tx,
                party_id=party_id,
                survey=more.get("survey", "NPS 2026"),
                score=score,
                scale=more.get("scale", (0, 10)),
                text=text,
                reference=more.get("reference", f"answer-{score}-{text}"),
            )
        return made


@pytest.fixture
def app(make_service: Callable[..., Crm]) -> Crm:
    return make_service(plugins=(register_plugin(Surveys(), name="surveys"),))


@pytest.fixture
def party(app: Crm) -> int:
    with app.transaction() as tx:
        made = create_party(
            tx,
            build_party(
                "customer",
                {
                    "kind": "person",
                    "first_name": "Ada",
                    "last_name": "King",
                    "emails": ["ada@example.org"],
                },
                region="DE",
            ),
        )
    assert made.id is not None
    return made.id


def cases(app: Crm) -> list[Any]:
    with app.read() as conn:
        return list(conn.execute(select(case_table).order_by(case_table.c.id)).all())


SYSTEM_USER = Actor(user_id=None, username="survey-tool", role="marketing")


def test_a_promoter_opens_nothing(app: Crm, party: int) -> None:
    assert Surveys().record_answer(app, SYSTEM_USER, party, 9, "Great service") == []
    assert cases(app) == []


def test_a_detractor_opens_a_case_once(app: Crm, party: int) -> None:
    surveys = Surveys()
    [made] = surveys.record_answer(app, SYSTEM_USER, party, 4, "Slow", reference="a-1")
    [opened] = cases(app)
    assert made == RecordRef("service.case", str(opened.id))
    assert (opened.channel, opened.kind, opened.subject) == (
        "survey",
        "complaint",
        "Survey feedback: NPS 2026",
    )
    assert "Score 4 on a scale of 0 to 10" in opened.description
    # The same answer again (the surveys plugin retried): nothing new.
    assert surveys.record_answer(app, SYSTEM_USER, party, 4, "Slow", reference="a-1") == [made]
    assert len(cases(app)) == 1


def test_a_complaint_in_the_text_opens_a_case_whatever_the_score(app: Crm, party: int) -> None:
    Surveys().record_answer(app, SYSTEM_USER, party, 5, "I want a refund", scale=(1, 5))
    [opened] = cases(app)
    assert "I want a refund" in opened.description
    Surveys().record_answer(app, SYSTEM_USER, party, 4, "fine", scale=(1, 5), survey="CSAT")
    assert len(cases(app)) == 1  # 4 of 5 is 7.5 of 10: no detractor


def test_complaint_words_match_whole_words_only(app: Crm, party: int) -> None:
    surveys = Surveys()
    assert surveys.record_answer(app, SYSTEM_USER, party, 9, "Unbroken, uncomplaining") == []
    assert cases(app) == []
    [made] = surveys.record_answer(app, SYSTEM_USER, party, 9, "It arrived BROKEN.")
    assert made.kind == "service.case"
    [again] = surveys.record_answer(app, SYSTEM_USER, party, 9, "Two complaints", survey="CSAT")
    assert again.kind == "service.case" and len(cases(app)) == 2


def test_the_same_answer_delivered_at_once_opens_one_case(app: Crm, party: int) -> None:
    with app.read() as conn:
        if conn.dialect.name != "postgresql":
            pytest.skip("SQLite runs one writing transaction at a time")
    barrier = threading.Barrier(3)

    def deliver() -> None:
        with app.transaction(SYSTEM_USER) as tx:
            barrier.wait(timeout=10)
            tx.hooks.call(
                "feedback_received",
                tx=tx,
                party_id=party,
                survey="NPS",
                score=1,
                scale=(0, 10),
                text=None,
                reference="same",
            )

    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(cases(app)) == 1


def test_a_recent_case_of_the_same_survey_is_annotated_and_reopened(app: Crm, party: int) -> None:
    surveys = Surveys()
    [first] = surveys.record_answer(app, SYSTEM_USER, party, 2, None, reference="a-1")
    with app.transaction() as tx:
        service.change_status(tx, int(first.id), "resolved", root_cause="late delivery")
    [again] = surveys.record_answer(app, SYSTEM_USER, party, 1, "Still late", reference="a-2")
    assert again == first and len(cases(app)) == 1
    with app.read() as conn:
        reopened = service.load_case(conn, int(first.id))
        bodies = [e.body for e in service.case_events(conn, reopened.id) if e.kind == "feedback"]
    assert reopened.status == "reopened"
    assert any("Still late" in (b or "") for b in bodies)


def test_a_bad_answer_is_refused_naming_the_field(app: Crm, party: int) -> None:
    with pytest.raises(ValidationError) as refused:
        Surveys().record_answer(app, SYSTEM_USER, party, 11, None)
    assert refused.value.field == "score"
    with pytest.raises(ValidationError) as refused:
        Surveys().record_answer(app, SYSTEM_USER, party, 1, None, scale=(5, 1))
    assert refused.value.field == "scale"
    assert cases(app) == []
