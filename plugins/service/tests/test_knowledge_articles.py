"""Knowledge-base articles: versions, publishing, the optimistic version check, archiving, refusals."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_service.knowledge import articles, categories, search
from crmkit_service.knowledge.articles import Article
from crmkit_service.knowledge.tables import article, article_version
from sqlalchemy import func, select

from crmkit import Actor, ConflictError, Crm, NotFound, ValidationError, audit_history

from .conftest import ServiceTeam


def write(crm: Crm, actor: Actor, **data: Any) -> Article:
    with crm.transaction(actor) as tx:
        return articles.create_article(tx, data)


def edit(crm: Crm, actor: Actor, article_id: int, version: int | None, **data: Any) -> Article:
    with crm.transaction(actor) as tx:
        return articles.edit_article(tx, article_id, data, version=version)


def found(crm: Crm, actor: Actor, text: str) -> list[int]:
    with crm.read() as conn:
        return [hit.article_id for hit in search.search(crm, conn, actor, text)]


def test_every_edit_is_a_version_and_publishing_one_changes_what_readers_see(
    crm: Crm, staff: ServiceTeam
) -> None:
    first = write(crm, staff.agent, title="Refunds", body="Refunds take 14 days.", publish=True)
    assert (first.status, first.version, first.published_version) == ("published", 1, 1)

    draft = edit(crm, staff.agent, first.id, 1, body="Refunds take 30 days.", note="new terms")
    # A draft waits beside the live text: readers and search still see version 1.
    assert (draft.version, draft.published_version, draft.body) == (2, 1, "Refunds take 14 days.")
    assert found(crm, staff.agent, "14") == [first.id]
    assert found(crm, staff.agent, "30") == []

    with crm.transaction(staff.lead) as tx:
        live = articles.publish_version(tx, first.id, 2, version=2)
    assert (live.published_version, live.body) == (2, "Refunds take 30 days.")
    assert found(crm, staff.agent, "30") == [first.id]
    assert found(crm, staff.agent, "14") == []

    with crm.read() as conn:
        history = articles.article_versions(conn, first.id)
    assert [(v.number, v.author, v.note) for v in history] == [
        (2, "Sam", "new terms"),
        (1, "Sam", None),
    ]
    assert history[0].published_by == staff.lead.user_id
    assert history[0].published_at is not None and history[1].published_at is not None


def test_an_earlier_version_can_be_published_again(crm: Crm, staff: ServiceTeam) -> None:
    first = write(crm, staff.agent, title="Opening hours", body="Open 9 to 5.", publish=True)
    edit(crm, staff.agent, first.id, 1, body="Open 8 to 8.", publish=True)
    with crm.transaction(staff.agent) as tx:
        back = articles.publish_version(tx, first.id, 1, version=2)
    assert (back.version, back.published_version, back.body) == (2, 1, "Open 9 to 5.")


def test_a_stale_version_is_refused_and_nothing_is_written(crm: Crm, staff: ServiceTeam) -> None:
    first = write(crm, staff.agent, title="Warranty", body="Two years.", publish=True)
    edit(crm, staff.lead, first.id, 1, body="Three years.", publish=True)

    with pytest.raises(ConflictError, match="version 2, not 1"):
        edit(crm, staff.agent, first.id, 1, body="Five years.", publish=True)
    with pytest.raises(ValidationError) as missing:
        edit(crm, staff.agent, first.id, None, body="Five years.")
    assert missing.value.field == "version"

    with crm.read() as conn:
        assert articles.get_article(conn, first.id).body == "Three years."
        count = select(func.count()).select_from(article_version)
        assert conn.execute(count).scalar_one() == 2


def test_drafts_are_not_found_until_published(crm: Crm, staff: ServiceTeam) -> None:
    draft = write(crm, staff.agent, title="Printer jams", body="Open the tray and pull gently.")
    assert draft.status == "draft"
    assert found(crm, staff.agent, "printer") == []

    # A never-published article shows its newest draft to writers.
    newer = edit(crm, staff.agent, draft.id, 1, title="Paper jams")
    assert newer.title == "Paper jams" and newer.status == "draft"
    with crm.transaction(staff.agent) as tx:
        articles.publish_version(tx, draft.id, 2, version=2)
    assert found(crm, staff.agent, "jams") == [draft.id]


def test_archiving_takes_an_article_out_of_search_and_publishing_brings_it_back(
    crm: Crm, staff: ServiceTeam
) -> None:
    first = write(crm, staff.agent, title="Old tariff", body="The old tariff.", publish=True)
    with crm.transaction(staff.agent) as tx:
        archived = articles.archive_article(tx, first.id, version=1)
    assert archived.status == "archived"
    assert found(crm, staff.agent, "tariff") == []
    with pytest.raises(ConflictError, match="archived already"), crm.transaction(staff.agent) as tx:
        articles.archive_article(tx, first.id, version=1)

    with crm.transaction(staff.agent) as tx:
        articles.publish_version(tx, first.id, 1, version=1)
    assert found(crm, staff.agent, "tariff") == [first.id]
    with crm.read() as conn:
        trail = audit_history(conn, "service.article", first.id)
    assert [(e.actor_name, e.action, e.changes.get("status")) for e in trail] == [
        ("sam", "updated", ["archived", "published"]),
        ("sam", "updated", ["published", "archived"]),
        ("sam", "updated", ["draft", "published"]),
        ("sam", "created", None),
    ]


def test_category_and_visibility_are_versioned_with_the_text(crm: Crm, staff: ServiceTeam) -> None:
    with crm.transaction(staff.agent) as tx:
        billing = categories.create_category(tx, {"name": "Billing"})
        refunds = categories.create_category(tx, {"name": "Refunds", "parent_id": billing.id})
    first = write(
        crm, staff.agent, title="Credit notes", body="We send credit notes.", publish=True
    )
    assert (first.category_id, first.visibility) == (None, "internal")

    moved = edit(crm, staff.agent, first.id, 1, category_id=refunds.id, visibility="public")
    assert (moved.category_id, moved.visibility) == (None, "internal")  # a draft, not live yet
    with crm.transaction(staff.agent) as tx:
        live = articles.publish_version(tx, first.id, 2, version=2)
    assert (live.category_id, live.visibility) == (refunds.id, "public")
    with crm.read() as conn:
        assert [c.name for c in categories.list_categories(conn)] == ["Billing", "Refunds"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"body": "no title"}, "title"),
        ({"title": "  ", "body": "blank title"}, "title"),
        ({"title": "No body"}, "body"),
        ({"title": "x" * 301, "body": "long"}, "title"),
        ({"title": "Bad", "body": "nul \x00 in it"}, "body"),
        ({"title": "Bad", "body": "b", "visibility": "everyone"}, "visibility"),
        ({"title": "Bad", "body": "b", "category_id": 999}, "category_id"),
        ({"title": "Bad", "body": "b", "category_id": "1"}, "category_id"),
        ({"title": "Bad", "body": "b", "publish": "yes"}, "publish"),
        ({"title": "Bad", "body": "b", "author": "me"}, "author"),
        ({"title": "Bad", "body": "b", "note": 5}, "note"),
    ],
)
def test_bad_articles_are_refused_naming_the_field(
    crm: Crm, staff: ServiceTeam, data: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        write(crm, staff.agent, **data)
    assert refused.value.field == field
    with crm.read() as conn:
        assert conn.execute(select(func.count()).select_from(article)).scalar_one() == 0


def test_bad_edits_and_publications_are_refused(crm: Crm, staff: ServiceTeam) -> None:
    first = write(crm, staff.agent, title="Delivery", body="Three days.", publish=True)
    with pytest.raises(ValidationError) as nothing:
        edit(crm, staff.agent, first.id, 1, note="only a note")
    assert nothing.value.field == "body"
    with pytest.raises(ValidationError) as beyond, crm.transaction(staff.agent) as tx:
        articles.publish_version(tx, first.id, 2, version=1)
    assert beyond.value.field == "number"
    with pytest.raises(NotFound):
        edit(crm, staff.agent, first.id + 100, 1, body="nobody")


def test_an_edit_leaves_what_it_gives_as_null_and_clears_a_null_category(
    crm: Crm, staff: ServiceTeam
) -> None:
    with crm.transaction(staff.agent) as tx:
        billing = categories.create_category(tx, {"name": "Billing"})
    first = write(crm, staff.agent, title="Fees", body="No fees.", category_id=billing.id)
    kept = edit(crm, staff.agent, first.id, 1, title=None, body="Small fees.", visibility=None)
    assert (kept.title, kept.body, kept.visibility, kept.category_id) == (
        "Fees",
        "Small fees.",
        "internal",
        billing.id,
    )
    cleared = edit(crm, staff.agent, first.id, 2, category_id=None)
    assert cleared.category_id is None


def test_category_names_are_unique_in_any_case(crm: Crm, staff: ServiceTeam) -> None:
    with crm.transaction(staff.agent) as tx:
        categories.create_category(tx, {"name": "Billing"})
    for data, field in (
        ({"name": "billing"}, "name"),
        ({"name": ""}, "name"),
        ({"name": "Sub", "parent_id": 77}, "parent_id"),
    ):
        with pytest.raises(ValidationError) as refused, crm.transaction(staff.agent) as tx:
            categories.create_category(tx, data)
        assert refused.value.field == field
