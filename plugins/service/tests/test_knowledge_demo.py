"""The knowledge-base part of the demo: articles in every status, searchable, suggested for its cases."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from crmkit_service.knowledge import search
from crmkit_service.knowledge.tables import article, article_version, feedback
from sqlalchemy import select

from crmkit import SYSTEM, Crm, utcnow
from crmkit.testing import seed_demo_data


def test_the_demo_writes_articles_that_answer_its_cases(make_service: Callable[..., Crm]) -> None:
    crm = make_service()
    seed_demo_data(crm, customers=50, prospects=5, now=utcnow())
    with crm.read() as conn:
        statuses = Counter(conn.scalars(select(article.c.status)))
        versions = Counter(conn.scalars(select(article_version.c.article_id)))
        rated = conn.scalars(select(feedback.c.article_id)).all()
        found = search.search(crm, conn, SYSTEM, "E31")
        suggested = search.suggest(
            crm,
            conn,
            "How do I set the night mode?",
            "I cannot find the night mode in the menu.",
            public_only=True,
        )
    assert set(statuses) == {"draft", "published", "archived"}
    assert max(versions.values()) == 2 and rated
    assert [hit.title for hit in found] == ["Error E31 on the display"]
    assert suggested[0].title == "Setting the night mode"
