"""Article feedback: counts per version, refusals, and a customer's feedback under the privacy rules."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_service.knowledge import articles, feedback
from crmkit_service.knowledge.tables import feedback as feedback_table
from sqlalchemy import func, select

from crmkit import Crm, NotFound, ValidationError, erase_party, export_party, merge_parties

from .conftest import PartyMaker, ServiceTeam


def article_with_two_versions(crm: Crm, staff: ServiceTeam) -> int:
    with crm.transaction(staff.agent) as tx:
        first = articles.create_article(
            tx,
            {
                "title": "Pairing",
                "body": "Hold the button.",
                "publish": True,
                "visibility": "public",
            },
        )
    with crm.transaction(staff.agent) as tx:
        rate = {"helpful": False, "comment": "Which button?"}
        feedback.give_feedback(tx, first.id, rate)
        articles.edit_article(
            tx, first.id, {"body": "Hold the blue button.", "publish": True}, version=1
        )
    return first.id


def rate(crm: Crm, staff: ServiceTeam, article_id: int, **data: Any) -> None:
    with crm.transaction(staff.agent) as tx:
        feedback.give_feedback(tx, article_id, data)


def test_feedback_is_counted_per_version(crm: Crm, staff: ServiceTeam) -> None:
    article_id = article_with_two_versions(crm, staff)
    rate(crm, staff, article_id, helpful=True)
    rate(crm, staff, article_id, helpful=True, comment="  Clear now.  ")
    rate(crm, staff, article_id, helpful=False, version=1)

    with crm.read() as conn:
        summary = feedback.feedback_summary(conn, article_id)
    assert (summary.helpful, summary.not_helpful) == (2, 2)
    assert [(v.version, v.helpful, v.not_helpful) for v in summary.versions] == [
        (2, 2, 0),
        (1, 0, 2),
    ]
    assert [(c.version, c.comment) for c in summary.comments] == [
        (2, "Clear now."),
        (1, "Which button?"),
    ]
    assert summary.comments[0].user_id == staff.agent.user_id


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "helpful"),
        ({"helpful": "yes"}, "helpful"),
        ({"helpful": True, "comment": 3}, "comment"),
        ({"helpful": True, "comment": "x" * 2001}, "comment"),
        ({"helpful": True, "version": 3}, "version"),
        ({"helpful": True, "stars": 5}, "stars"),
    ],
)
def test_bad_feedback_is_refused_and_nothing_stored(
    crm: Crm, staff: ServiceTeam, data: dict[str, Any], field: str
) -> None:
    article_id = article_with_two_versions(crm, staff)
    with pytest.raises(ValidationError) as refused:
        rate(crm, staff, article_id, **data)
    assert refused.value.field == field
    with crm.read() as conn:
        assert conn.execute(select(func.count()).select_from(feedback_table)).scalar_one() == 1


def test_feedback_on_a_never_published_version_or_article_is_refused(
    crm: Crm, staff: ServiceTeam
) -> None:
    article_id = article_with_two_versions(crm, staff)
    with crm.transaction(staff.agent) as tx:
        articles.edit_article(tx, article_id, {"body": "Draft."}, version=2)
        draft = articles.create_article(tx, {"title": "Unpublished", "body": "Draft."})
    with pytest.raises(ValidationError, match="never been published"):
        rate(crm, staff, article_id, helpful=True, version=3)
    with pytest.raises(NotFound):
        rate(crm, staff, draft.id, helpful=True)


def test_a_customers_feedback_moves_on_merge_is_exported_and_erased(
    crm: Crm, staff: ServiceTeam, new_party: PartyMaker
) -> None:
    article_id = article_with_two_versions(crm, staff)
    customer, duplicate = new_party(), new_party(emails=["ada@work.example"])
    with crm.transaction() as tx:
        feedback.give_feedback(
            tx, article_id, {"helpful": True, "comment": "Worked"}, party_id=duplicate
        )
    with crm.transaction() as tx:
        merge_parties(tx, customer, duplicate)
    with crm.read() as conn:
        exported = export_party(conn, crm.host, customer)["service"]["article_feedback"]
    assert [(f["article_id"], f["version"], f["helpful"], f["comment"]) for f in exported] == [
        (article_id, 2, True, "Worked")
    ]
    with crm.transaction() as tx:
        erase_party(tx, customer)
    with crm.read() as conn:
        left = (
            select(func.count())
            .select_from(feedback_table)
            .where(feedback_table.c.party_id.is_not(None))
        )
        assert conn.execute(left).scalar_one() == 0


def test_a_customer_rates_public_articles_only(
    crm: Crm, staff: ServiceTeam, new_party: PartyMaker
) -> None:
    customer = new_party()
    with crm.transaction(staff.agent) as tx:
        internal = articles.create_article(
            tx, {"title": "Internal", "body": "Staff only.", "publish": True}
        )
    with pytest.raises(NotFound), crm.transaction() as tx:
        feedback.give_feedback(tx, internal.id, {"helpful": True}, party_id=customer)
