"""The demo's responses: about 600 over the months since each survey was published, as the
answer pages would have stored them."""

from __future__ import annotations

from collections import Counter

from crmkit_surveys.answering import flow
from crmkit_surveys.answering.model import Answer
from crmkit_surveys.answering.tables import answer, response
from crmkit_surveys.definitions.service import get_version
from crmkit_surveys.invitations.tables import invitation
from sqlalchemy import select

from crmkit import Crm, interaction_table, utcnow
from crmkit.testing import seed_demo_data


def test_the_demo_answers_every_demo_survey_over_the_months(crm: Crm) -> None:
    now = utcnow()
    seed_demo_data(crm, customers=60, prospects=20, now=now)
    with crm.read() as conn:
        responses = conn.execute(select(response)).all()
        answers: dict[int, dict[str, Answer]] = {}
        for row in conn.execute(select(answer)):
            answers.setdefault(row.response_id, {})[row.question] = Answer.from_row(row)
        definitions = {
            v: get_version(conn, v).definition for v in {r.version_id for r in responses}
        }
        invited = {
            row.id: row
            for row in conn.execute(
                select(invitation).where(
                    invitation.c.id.in_([r.invitation_id for r in responses if r.invitation_id])
                )
            )
        }
        timeline_entries = conn.execute(
            select(interaction_table.c.refs).where(interaction_table.c.source == "surveys")
        ).all()

    assert 500 <= len(responses) <= 700
    assert len({r.survey_id for r in responses}) == 3
    statuses = Counter(r.status for r in responses)
    assert statuses["completed"] > 4 * statuses["partial"] > 0
    assert {r.language for r in responses} == {"en", "de", "fr"}
    months = {(r.updated_at.year, r.updated_at.month) for r in responses}
    assert len(months) >= 5 and all(r.updated_at <= now for r in responses)
    assert any(r.party_id is None for r in responses) and any(r.party_id for r in responses)

    nps = [a["nps"].score for a in answers.values() if "nps" in a]
    detractors, promoters = sum(s <= 6 for s in nps), sum(s >= 9 for s in nps)
    assert 0.1 < detractors / len(nps) < 0.35 < promoters / len(nps) < 0.7
    complaints = [a["improve"].text for a in answers.values() if "improve" in a]
    assert len(complaints) > 20 and all(complaints)

    for row in responses:
        definition = definitions[row.version_id]
        given = {key: found.given for key, found in answers.get(row.id, {}).items()}
        # Only questions asked are answered; a completed response answers every required one.
        assert flow.counted(definition, given) == given
        if row.status == "completed":
            assert flow.missing(definition, given) == []
            assert row.completed_at is not None
        if row.invitation_id is not None:
            expected = "completed" if row.status == "completed" else "answering"
            assert invited[row.invitation_id].status == expected
    completed_of_parties = {
        str(r.id) for r in responses if r.status == "completed" and r.party_id is not None
    }
    assert {e.refs[0]["id"] for e in timeline_entries} == completed_of_parties
