"""The social inbox pages: threads, a thread with its reply forms, and the post composer."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import MenuItem, Transaction, is_allowed
from crmkit.web import Refusal, actor_of, crm_of, page_response, read_as, submit
from crmkit_social.conversations import service
from crmkit_social.conversations.access import POST, READ, REPLY

BASE = "/p/social/page/conversations"
POSTS = "/p/social/page/posts"
MENU = [
    MenuItem("Social inbox", BASE, READ, order=77),
    MenuItem("Page posts", POSTS, POST, order=78),
]


def thread_url(thread_id: int) -> str:
    return f"{BASE}/{thread_id}"


def inbox_page(request: Request) -> Response:
    """The latest threads of the parties one may see."""
    threads = read_as(request, READ, lambda tx: service.list_threads(tx, limit=100))
    return page_response(request, "social/conversations/inbox.html", threads=threads)


def thread_page(
    request: Request,
    values: dict[str, str] | None = None,
    error: Refusal | None = None,
    status: int = 200,
) -> Response:
    """A thread: its messages with their delivery states, a reply form, a reply per comment."""
    thread_id: int = request.path_params["conversation_id"]
    detail = read_as(request, READ, lambda tx: service.thread_detail(tx, thread_id))
    return page_response(
        request,
        "social/conversations/thread.html",
        status=status,
        detail=detail,
        now=service.utcnow(),
        may_reply=is_allowed(crm_of(request).host, actor_of(request), REPLY),
        values=values or {},
        error=error,
        error_field=getattr(error, "field", None),
    )


async def post_reply(request: Request) -> Response:
    thread_id: int = request.path_params["conversation_id"]

    def act(tx: Transaction, fields: dict[str, str]) -> str:
        service.reply(tx, thread_id, {"text": fields.get("text", "")})
        return thread_url(thread_id)

    return await submit(request, REPLY, act, thread_page)


async def post_comment_reply(request: Request) -> Response:
    thread_id: int = request.path_params["conversation_id"]
    message_id: int = request.path_params["message_id"]

    def act(tx: Transaction, fields: dict[str, str]) -> str:
        service.reply_to_comment(tx, message_id, {"text": fields.get("text", "")})
        return thread_url(thread_id)

    return await submit(request, REPLY, act, thread_page)


def posts_page(
    request: Request,
    values: dict[str, str] | None = None,
    error: Refusal | None = None,
    status: int = 200,
) -> Response:
    """The post composer and the latest posts."""

    def work(tx: Transaction) -> tuple[list[service.Post], list[tuple[int, str]]]:
        posts = service.list_posts(tx, limit=50)
        return posts, service.post_accounts(tx)

    posts, accounts = read_as(request, POST, work)
    return page_response(
        request,
        "social/conversations/posts.html",
        status=status,
        posts=posts,
        accounts=accounts,
        values=values or {},
        error=error,
        error_field=getattr(error, "field", None),
    )


async def post_post(request: Request) -> Response:
    def act(tx: Transaction, fields: dict[str, str]) -> str:
        raw = fields.get("account_id", "").strip()
        account_id: object = int(raw) if raw.isdigit() else raw
        data = {"account_id": account_id, "text": fields.get("text", "")}
        if fields.get("link", "").strip():
            data["link"] = fields["link"]
        service.create_post(tx, data)
        return POSTS

    return await submit(request, POST, act, posts_page)


ROUTES: list[BaseRoute] = [
    Route("/page/conversations", inbox_page, methods=["GET"]),
    Route("/page/conversations/{conversation_id:id}", thread_page, methods=["GET"]),
    Route("/page/conversations/{conversation_id:id}/reply", post_reply, methods=["POST"]),
    Route(
        "/page/conversations/{conversation_id:id}/comments/{message_id:id}/reply",
        post_comment_reply,
        methods=["POST"],
    ),
    Route("/page/posts", posts_page, methods=["GET"]),
    Route("/page/posts", post_post, methods=["POST"]),
]
