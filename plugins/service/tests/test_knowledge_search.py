"""Full-text search and suggestions: stemming, ranking, snippets, filters, hostile queries."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_service.knowledge import articles, categories, search
from crmkit_service.knowledge.search import ArticleHit

from crmkit import Actor, Crm, PermissionDenied

from .conftest import ServiceTeam, UserMaker

HOSTILE = [
    '"',
    'router"',
    "NEAR(router reset",
    "router*",
    "-router",
    "title:router",
    "^router",
    "router OR",
    "AND",
    "(router",
    "router & reset | !x",
    "'; DROP TABLE service_article; --",
    "a:* <-> b",
    "\\",
    "ROUTER)) ((",
    "",
    "   ",
    "!!!",
]


def publish(crm: Crm, actor: Actor, **data: Any) -> int:
    with crm.transaction(actor) as tx:
        return articles.create_article(tx, {"publish": True, **data}).id


def hits(crm: Crm, actor: Actor, text: str, **options: Any) -> list[ArticleHit]:
    with crm.read() as conn:
        return search.search(crm, conn, actor, text, **options)


@pytest.fixture
def library(crm: Crm, staff: ServiceTeam) -> dict[str, int]:
    return {
        "router": publish(
            crm,
            staff.agent,
            title="Resetting your router",
            body="Unplug the router, wait thirty seconds and plug it in again.\n\n"
            "If the lights keep blinking, call us.",
            visibility="public",
        ),
        "refund": publish(
            crm,
            staff.agent,
            title="Refund policy",
            body="Refunds are paid within 14 days by bank transfer. Routers bought "
            "online may be returned.",
        ),
        "invoice": publish(
            crm,
            staff.agent,
            title="Reading your invoice",
            body="Your invoice lists every charge of the month.",
            visibility="public",
        ),
    }


def test_words_are_found_in_any_form_and_every_word_must_match(
    crm: Crm, staff: ServiceTeam, library: dict[str, int]
) -> None:
    assert [h.article_id for h in hits(crm, staff.agent, "unplugging routers")] == [
        library["router"]
    ]
    assert [h.article_id for h in hits(crm, staff.agent, "REFUNDED")] == [library["refund"]]
    assert hits(crm, staff.agent, "router invoice") == []


def test_a_title_match_ranks_above_a_body_match(
    crm: Crm, staff: ServiceTeam, library: dict[str, int]
) -> None:
    found = hits(crm, staff.agent, "router")
    assert [h.article_id for h in found] == [library["router"], library["refund"]]
    assert found[0].rank > found[1].rank


def test_snippets_mark_the_matched_terms(
    crm: Crm, staff: ServiceTeam, library: dict[str, int]
) -> None:
    (hit,) = hits(crm, staff.agent, "transfer")
    assert hit.title == "Refund policy" and hit.version == 1
    marked = [f.text for f in hit.snippet if f.matched]
    assert marked == ["transfer"]
    assert "bank transfer" in hit.snippet_text


def test_public_only_and_category_narrow_the_search(
    crm: Crm, staff: ServiceTeam, library: dict[str, int]
) -> None:
    assert [h.article_id for h in hits(crm, staff.agent, "router", public_only=True)] == [
        library["router"]
    ]
    with crm.transaction(staff.agent) as tx:
        billing = categories.create_category(tx, {"name": "Billing"})
        articles.edit_article(
            tx, library["refund"], {"category_id": billing.id, "publish": True}, version=1
        )
    found = hits(crm, staff.agent, "router", category_id=billing.id)
    assert [(h.article_id, h.category) for h in found] == [(library["refund"], "Billing")]


@pytest.mark.parametrize("text", HOSTILE)
def test_no_text_is_a_syntax_error(
    crm: Crm, staff: ServiceTeam, library: dict[str, int], text: str
) -> None:
    found = hits(crm, staff.agent, text)
    assert all(h.article_id in library.values() for h in found)
    with crm.read() as conn:
        search.suggest(crm, conn, text, text)


def test_query_syntax_in_user_text_is_taken_as_words(
    crm: Crm, staff: ServiceTeam, library: dict[str, int]
) -> None:
    # As query syntax, each would find articles; as words, no article holds all of them.
    assert hits(crm, staff.agent, 'router" OR "invoice') == []
    assert hits(crm, staff.agent, "router OR invoice") == []
    assert hits(crm, staff.agent, "body:transfer") == []


def test_suggestions_for_a_case_come_from_its_subject_and_body(
    crm: Crm, staff: ServiceTeam, library: dict[str, int]
) -> None:
    with crm.read() as conn:
        suggested = search.suggest(
            crm,
            conn,
            "Internet down",
            "Hello, since this morning my router keeps blinking. What should I do?",
        )
        public = search.suggest(crm, conn, "Money back?", "I want a refund", public_only=True)
        none = search.suggest(crm, conn, "Hello", "Thanks a lot")
    assert suggested[0].article_id == library["router"]
    assert public == []  # the refund article is internal
    assert none == []


def test_only_staff_who_may_read_search_internal_articles(
    crm: Crm, new_user: UserMaker, library: dict[str, int]
) -> None:
    outsider = Actor(user_id=None, username="guest", role="guest")
    with pytest.raises(PermissionDenied):
        hits(crm, outsider, "router")
    assert [h.article_id for h in hits(crm, outsider, "router", public_only=True)] == [
        library["router"]
    ]
    reader = new_user("rita", "read-only")
    assert len(hits(crm, reader, "router")) == 2


def test_the_index_follows_every_change_in_the_same_transaction(
    crm: Crm, staff: ServiceTeam, library: dict[str, int]
) -> None:
    with crm.transaction(staff.agent) as tx:
        articles.edit_article(
            tx,
            library["invoice"],
            {"body": "Your bill lists every fee.", "publish": True},
            version=1,
        )
        articles.archive_article(tx, library["router"], version=1)
    assert hits(crm, staff.agent, "charge") == []
    assert [h.article_id for h in hits(crm, staff.agent, "fees")] == [library["invoice"]]
    assert [h.article_id for h in hits(crm, staff.agent, "router")] == [library["refund"]]

    with pytest.raises(RuntimeError), crm.transaction(staff.agent) as tx:
        articles.edit_article(
            tx, library["invoice"], {"body": "Rolled back text.", "publish": True}, version=2
        )
        raise RuntimeError("the command fails after the edit")
    assert hits(crm, staff.agent, "rolled") == []
    assert [h.article_id for h in hits(crm, staff.agent, "fees")] == [library["invoice"]]


def test_the_limit_keeps_the_best(crm: Crm, staff: ServiceTeam) -> None:
    for n in range(12):
        publish(crm, staff.agent, title=f"Modem note {n}", body="modem " * (n + 1))
    found = hits(crm, staff.agent, "modem", limit=5)
    assert len(found) == 5
    assert [h.rank for h in found] == sorted((h.rank for h in found), reverse=True)


def test_accents_are_folded(
    crm: Crm, staff: ServiceTeam, library: dict[str, int], make_service: Any
) -> None:
    article_id = publish(crm, staff.agent, title="Café opening", body="The café opens at nine.")
    with crm.read() as conn:
        folds = conn.dialect.name == "sqlite"  # PostgreSQL's configurations keep accents
    if folds:
        assert [h.article_id for h in hits(crm, staff.agent, "cafe")] == [article_id]
    assert [h.article_id for h in hits(crm, staff.agent, "café")] == [article_id]
