"""JSON routes of the knowledge base under ``/p/service/``: articles, versions, search, feedback.

Every staff role reads published articles; writers (``service:article.write``)
also see drafts and archived ones and their versions, and change them. A reader
asking for an article that is not published is told it does not exist.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import (
    Actor,
    Crm,
    NotFound,
    Page,
    Transaction,
    ValidationError,
    is_allowed,
    parse_whole_number,
    read_whole_number,
    require,
)
from crmkit.web import (
    Param,
    actor_of,
    check_query,
    crm_of,
    json_response,
    operation,
    optional_version,
    read_object,
    write_as,
)
from crmkit_service.knowledge import articles, categories, feedback, search
from crmkit_service.knowledge.articles import Article, ArticleVersion
from crmkit_service.knowledge.bodies import (
    ArchiveInput,
    ArticleChange,
    ArticleInput,
    CategoryInput,
    FeedbackInput,
    PublishInput,
    SuggestInput,
)
from crmkit_service.knowledge.categories import Category
from crmkit_service.knowledge.feedback import Feedback, FeedbackSummary
from crmkit_service.knowledge.search import ArticleHit
from crmkit_service.web import query_flag, query_limit

READ = "service:article.read"
WRITE = "service:article.write"
FEEDBACK = "service:article.feedback"
LIST_LIMIT = 200
HIT_LIMIT = 50

T = TypeVar("T")


def may_write(crm: Crm, actor: Actor, conn: Connection) -> bool:
    return is_allowed(crm.host, actor, WRITE, conn=conn)


def readable_article(crm: Crm, conn: Connection, actor: Actor, article_id: int) -> Article:
    """The article, if ``actor`` may read it: a published one, or any for a writer (else NotFound)."""
    require(crm.host, actor, READ, conn=conn)
    found = articles.get_article(conn, article_id)
    if found.status != "published" and not may_write(crm, actor, conn):
        raise NotFound(f"article {article_id} does not exist")
    return found


def _category(request: Request) -> int | None:
    given = request.query_params.get("category_id")
    return None if given is None else parse_whole_number("category_id", given, minimum=1)


@operation(
    "Knowledge-base articles, newest first (readers see the published ones)",
    response=Page[Article],
    query=(
        Param("status", str, "draft, published or archived (drafts and archived: writers only)"),
        Param("visibility", str, "internal or public"),
        Param("category_id", int, "Only this category's"),
        Param("cursor", str, "The next_cursor of the previous page"),
        Param("limit", int, f"At most this many (1 to {LIST_LIMIT}, default 50)"),
    ),
)
def list_articles(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    check_query(request, ("status", "visibility", "category_id", "cursor", "limit"))
    params = request.query_params
    status = params.get("status")
    with crm.read() as conn:
        require(crm.host, actor, READ, conn=conn)
        if status != "published" and not may_write(crm, actor, conn):
            if status is not None:
                require(crm.host, actor, WRITE, conn=conn)
            status = "published"
        found = articles.list_articles(
            conn,
            status=status,
            visibility=params.get("visibility"),
            category_id=_category(request),
            cursor=params.get("cursor"),
            limit=query_limit(request, 50, LIST_LIMIT),
        )
    return json_response(crm, found)


@operation("Write a new article (version 1)", request=ArticleInput, response=Article, status=201)
async def post_article(request: Request) -> Response:
    body = await read_object(request)
    created = await write_as(request, WRITE, lambda tx: articles.create_article(tx, body))
    return json_response(crm_of(request), created, 201)


@operation(
    "Published articles holding every word of q, best first, with snippets",
    response=list[ArticleHit],
    query=(
        Param(
            "q", str, "What to look for: words, in any form (refund finds refunds)", required=True
        ),
        Param("category_id", int, "Only this category's"),
        Param("public_only", bool, "Only public articles (those customers may read)"),
        Param("limit", int, f"At most this many (1 to {HIT_LIMIT}, default 10)"),
    ),
)
def search_articles(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    check_query(request, ("q", "category_id", "public_only", "limit"))
    params = request.query_params
    if not params.get("q", "").strip():
        raise ValidationError("q", "is required")
    with crm.read() as conn:
        require(crm.host, actor, READ, conn=conn)
        hits = search.search(
            crm,
            conn,
            actor,
            params.get("q", ""),
            public_only=bool(query_flag(request, "public_only")),
            limit=query_limit(request, 10, HIT_LIMIT),
            category_id=_category(request),
        )
    return json_response(crm, hits)


@operation(
    "Published articles that may answer a case, from its subject and body",
    request=SuggestInput,
    response=list[ArticleHit],
)
async def suggest_articles(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    body = await read_object(request)
    unknown = set(body) - {"subject", "body", "public_only", "limit"}
    if unknown:
        raise ValidationError(sorted(unknown)[0], "unknown field")
    subject, text = _case_text(body, "subject"), _case_text(body, "body")
    public_only = body.get("public_only", False)
    if not isinstance(public_only, bool):
        raise ValidationError("public_only", "expected true or false")
    given = body.get("limit")
    limit = (
        crm.settings_of["service"].knowledge.suggestions
        if given is None
        else read_whole_number("limit", given, minimum=1, maximum=HIT_LIMIT)
    )

    def work(conn: Connection) -> list[ArticleHit]:
        require(crm.host, actor, READ, conn=conn)
        return search.suggest(crm, conn, subject, text, public_only=public_only, limit=limit)

    return json_response(crm, await crm.query(work, scans=True))


def _case_text(body: dict[str, Any], field: str) -> str:
    value = body.get(field, "")
    if not isinstance(value, str):
        raise ValidationError(field, "expected text")
    return value


@operation("One article as readers see it", response=Article)
def get_article(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    with crm.read() as conn:
        found = readable_article(crm, conn, actor, request.path_params["article_id"])
    return json_response(crm, found)


@operation(
    "Write the next version of an article; live at once with publish",
    request=ArticleChange,
    response=Article,
    errors=(409,),
    description="409 when version is not the article's newest: someone changed it meanwhile.",
)
async def patch_article(request: Request) -> Response:
    body = await read_object(request)
    version = optional_version(body)
    article_id: int = request.path_params["article_id"]
    changed = await write_as(
        request, WRITE, lambda tx: articles.edit_article(tx, article_id, body, version=version)
    )
    return json_response(crm_of(request), changed)


@operation(
    "Make a version of an article the live one (a draft, or an earlier version)",
    request=PublishInput,
    response=Article,
    errors=(409,),
)
async def publish_article(request: Request) -> Response:
    body = await read_object(request)
    _only(body, {"number", "version"})
    version = optional_version(body)
    article_id: int = request.path_params["article_id"]
    published = await write_as(
        request,
        WRITE,
        lambda tx: articles.publish_version(tx, article_id, body.get("number"), version=version),
    )
    return json_response(crm_of(request), published)


@operation(
    "Archive an article: no longer found nor shown to readers",
    request=ArchiveInput,
    response=Article,
    errors=(409,),
)
async def archive_article(request: Request) -> Response:
    body = await read_object(request)
    _only(body, {"version"})
    version = optional_version(body)
    article_id: int = request.path_params["article_id"]
    archived = await write_as(
        request, WRITE, lambda tx: articles.archive_article(tx, article_id, version=version)
    )
    return json_response(crm_of(request), archived)


@operation(
    "Every version of an article, the newest first: who wrote it when",
    response=list[ArticleVersion],
)
def list_versions(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    with crm.read() as conn:
        require(crm.host, actor, WRITE, conn=conn)
        found = articles.article_versions(conn, request.path_params["article_id"])
    return json_response(crm, found)


@operation("One version of an article", response=ArticleVersion)
def get_version(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    params = request.path_params
    with crm.read() as conn:
        require(crm.host, actor, WRITE, conn=conn)
        found = articles.get_version(conn, params["article_id"], params["number"])
    return json_response(crm, found)


@operation(
    "Say whether an article helped (on its published version)",
    request=FeedbackInput,
    response=Feedback,
    status=201,
)
async def post_feedback(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    body = await read_object(request)
    article_id: int = request.path_params["article_id"]

    def give(tx: Transaction) -> Feedback:
        readable_article(crm, tx.conn, actor, article_id)
        return feedback.give_feedback(tx, article_id, body)

    return json_response(crm, await write_as(request, FEEDBACK, give), 201)


@operation(
    "How many found an article helpful, per version, and the latest comments",
    response=FeedbackSummary,
)
def get_feedback(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    article_id: int = request.path_params["article_id"]
    with crm.read() as conn:
        readable_article(crm, conn, actor, article_id)
        summary = feedback.feedback_summary(conn, article_id)
    return json_response(crm, summary)


@operation("The article categories, by name", response=list[Category])
def list_categories(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    with crm.read() as conn:
        require(crm.host, actor, READ, conn=conn)
        found = categories.list_categories(conn)
    return json_response(crm, found)


@operation("Add an article category", request=CategoryInput, response=Category, status=201)
async def post_category(request: Request) -> Response:
    body = await read_object(request)
    created = await write_as(request, WRITE, lambda tx: categories.create_category(tx, body))
    return json_response(crm_of(request), created, 201)


def _only(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(body) - allowed
    if unknown:
        raise ValidationError(sorted(unknown)[0], "unknown field")


ROUTES: list[BaseRoute] = [
    Route("/articles", list_articles),
    Route("/articles", post_article, methods=["POST"]),
    Route("/articles/search", search_articles),
    Route("/articles/suggestions", suggest_articles, methods=["POST"]),
    Route("/articles/{article_id:id}", get_article),
    Route("/articles/{article_id:id}", patch_article, methods=["PATCH"]),
    Route("/articles/{article_id:id}/publish", publish_article, methods=["POST"]),
    Route("/articles/{article_id:id}/archive", archive_article, methods=["POST"]),
    Route("/articles/{article_id:id}/versions", list_versions),
    Route("/articles/{article_id:id}/versions/{number:id}", get_version),
    Route("/articles/{article_id:id}/feedback", get_feedback),
    Route("/articles/{article_id:id}/feedback", post_feedback, methods=["POST"]),
    Route("/article-categories", list_categories),
    Route("/article-categories", post_category, methods=["POST"]),
]
