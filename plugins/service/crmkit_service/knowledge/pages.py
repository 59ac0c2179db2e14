"""Web pages of the knowledge base: search and list, read and rate, write and edit with versions.

Plain forms, no script. A refused form is shown again with what was typed and the
field at fault; an edit made meanwhile by someone else is shown as a conflict
rather than overwritten.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import (
    CrmError,
    MenuItem,
    Transaction,
    ValidationError,
    parse_whole_number,
    require,
)
from crmkit.web import Refusal, actor_of, crm_of, page_response, submit
from crmkit_service.knowledge import articles, categories, feedback, search
from crmkit_service.knowledge.routes import FEEDBACK, READ, WRITE, may_write, readable_article
from crmkit_service.knowledge.tables import STATUSES, VISIBILITIES

BASE = "/p/service/knowledge"
SHOWN = 50

MENU = [MenuItem("Knowledge base", BASE, READ, order=72)]


def list_page(request: Request) -> Response:
    """Search the published articles (``?q=``), or list the newest (writers: by status too)."""
    crm, actor, params = crm_of(request), actor_of(request), request.query_params
    q = params.get("q", "").strip()
    with crm.read() as conn:
        require(crm.host, actor, READ, conn=conn)
        writer = may_write(crm, actor, conn)
        status = params.get("status") or "published"
        if not writer or status not in STATUSES:
            status = "published"
        hits = search.search(crm, conn, actor, q, limit=SHOWN) if q else []
        listed = [] if q else articles.list_articles(conn, status=status, limit=SHOWN).items
    return page_response(
        request,
        "service/knowledge_list.html",
        q=q,
        hits=hits,
        articles=listed,
        listed_status=status,
        statuses=STATUSES,
        writer=writer,
    )


def article_page(request: Request, *, error: CrmError | None = None, status: int = 200) -> Response:
    """An article as readers see it, its feedback, and for writers its versions and actions."""
    crm, actor = crm_of(request), actor_of(request)
    article_id: int = request.path_params["article_id"]
    with crm.read() as conn:
        found = readable_article(crm, conn, actor, article_id)
        writer = may_write(crm, actor, conn)
        versions = articles.article_versions(conn, article_id) if writer else []
        summary = feedback.feedback_summary(conn, article_id)
        named = {c.id: c.name for c in categories.list_categories(conn)}
    return page_response(
        request,
        "service/knowledge_article.html",
        status=status,
        article=found,
        paragraphs=[p for p in found.body.split("\n\n") if p.strip()],
        category=named.get(found.category_id) if found.category_id else None,
        versions=versions,
        summary=summary,
        writer=writer,
        error=error,
    )


def _editor(
    request: Request,
    *,
    values: dict[str, str],
    article_id: int | None,
    error: CrmError | None = None,
    status: int = 200,
) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    with crm.read() as conn:
        require(crm.host, actor, WRITE, conn=conn)
        known = categories.list_categories(conn)
    return page_response(
        request,
        "service/knowledge_edit.html",
        status=status,
        values=values,
        article_id=article_id,
        categories=known,
        visibilities=VISIBILITIES,
        error=error,
        error_field=error.field if isinstance(error, ValidationError) else None,
    )


def new_page(request: Request) -> Response:
    """The form for a new article."""
    return _editor(request, values={"visibility": "internal"}, article_id=None)


def edit_page(request: Request) -> Response:
    """The form for an article's next version, filled with its newest version."""
    crm, actor = crm_of(request), actor_of(request)
    article_id: int = request.path_params["article_id"]
    with crm.read() as conn:
        require(crm.host, actor, WRITE, conn=conn)
        found = articles.get_article(conn, article_id)
        newest = articles.get_version(conn, article_id, found.version)
    values = {
        "title": newest.title,
        "body": newest.body,
        "category_id": str(newest.category_id or ""),
        "visibility": newest.visibility,
        "version": str(found.version),
    }
    return _editor(request, values=values, article_id=article_id)


def _content(form: dict[str, str]) -> dict[str, Any]:
    category = form.get("category_id", "").strip()
    data: dict[str, Any] = {
        "title": form.get("title", ""),
        "body": form.get("body", ""),
        "visibility": form.get("visibility", "internal"),
        "category_id": parse_whole_number("category_id", category, minimum=1) if category else None,
        "publish": form.get("action") == "publish",
    }
    note = form.get("note", "").strip()
    if note:
        data["note"] = note
    return data


def _version(form: dict[str, str]) -> int:
    return parse_whole_number("version", form.get("version", ""), minimum=1)


async def new_post(request: Request) -> Response:
    """Save a new article as a draft (``action=save``) or publish it (``action=publish``)."""

    def create(tx: Transaction, form: dict[str, str]) -> str:
        return f"{BASE}/{articles.create_article(tx, _content(form)).id}"

    def refused(request: Request, form: dict[str, str], error: Refusal, status: int) -> Response:
        return _editor(request, values=form, article_id=None, error=error, status=status)

    return await submit(request, WRITE, create, refused)


async def edit_post(request: Request) -> Response:
    """Save the next version, as a draft or published at once."""
    article_id: int = request.path_params["article_id"]

    def edit(tx: Transaction, form: dict[str, str]) -> str:
        articles.edit_article(tx, article_id, _content(form), version=_version(form))
        return f"{BASE}/{article_id}"

    def refused(request: Request, form: dict[str, str], error: Refusal, status: int) -> Response:
        return _editor(request, values=form, article_id=article_id, error=error, status=status)

    return await submit(request, WRITE, edit, refused)


def _shown_again(request: Request, form: dict[str, str], error: Refusal, status: int) -> Response:
    return article_page(request, error=error, status=status)


async def action_post(request: Request) -> Response:
    """Publish a version (``action=publish``, ``number``) or archive the article (``action=archive``)."""
    article_id: int = request.path_params["article_id"]

    def act(tx: Transaction, form: dict[str, str]) -> str:
        version = _version(form)
        action = form.get("action")
        if action == "archive":
            articles.archive_article(tx, article_id, version=version)
        elif action == "publish":
            number = parse_whole_number("number", form.get("number", ""), minimum=1)
            articles.publish_version(tx, article_id, number, version=version)
        else:
            raise ValidationError("action", "expected publish or archive")
        return f"{BASE}/{article_id}"

    return await submit(request, WRITE, act, _shown_again)


async def feedback_post(request: Request) -> Response:
    """Record whether the article helped (``helpful=yes|no``, ``comment``)."""
    crm = crm_of(request)
    article_id: int = request.path_params["article_id"]

    def give(tx: Transaction, form: dict[str, str]) -> str:
        readable_article(crm, tx.conn, tx.actor, article_id)
        answer = form.get("helpful")
        if answer not in ("yes", "no"):
            raise ValidationError("helpful", "expected yes or no")
        data = {"helpful": answer == "yes", "comment": form.get("comment") or None}
        feedback.give_feedback(tx, article_id, data)
        return f"{BASE}/{article_id}#feedback"

    return await submit(request, FEEDBACK, give, _shown_again)


ROUTES: list[BaseRoute] = [
    Route("/knowledge", list_page),
    Route("/knowledge/new", new_page),
    Route("/knowledge/new", new_post, methods=["POST"]),
    Route("/knowledge/{article_id:id}", article_page),
    Route("/knowledge/{article_id:id}", action_post, methods=["POST"]),
    Route("/knowledge/{article_id:id}/edit", edit_page),
    Route("/knowledge/{article_id:id}/edit", edit_post, methods=["POST"]),
    Route("/knowledge/{article_id:id}/feedback", feedback_post, methods=["POST"]),
]
