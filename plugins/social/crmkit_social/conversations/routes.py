"""The conversations part's JSON API under ``/p/social/``: the inbox, replies and page posts."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import Transaction, parse_whole_number
from crmkit.web import (
    Param,
    check_query,
    crm_of,
    json_response,
    operation,
    read_as,
    read_object,
    write_as,
)
from crmkit_social.conversations import service
from crmkit_social.conversations.access import POST, READ, REPLY
from crmkit_social.conversations.bodies import PostInput, ReplyInput
from crmkit_social.conversations.service import Message, Post, Thread, ThreadDetail


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit")
    return 50 if raw is None else parse_whole_number("limit", raw, minimum=1, maximum=200)


@operation(
    "Threads of the parties one may see, the latest first",
    response=list[Thread],
    query=(
        Param("party_id", int, "Only this party's threads"),
        Param("limit", int, "At most this many (1-200, default 50)"),
    ),
)
def list_threads(request: Request) -> Response:
    check_query(request, ("party_id", "limit"))
    raw = request.query_params.get("party_id")
    party_id = None if raw is None else parse_whole_number("party_id", raw, minimum=1)
    limit = _limit(request)
    found = read_as(
        request, READ, lambda tx: service.list_threads(tx, limit=limit, party_id=party_id)
    )
    return json_response(crm_of(request), found)


@operation(
    "A thread with its messages and their delivery states", response=ThreadDetail, errors=(404,)
)
def get_thread(request: Request) -> Response:
    check_query(request, ())
    thread_id: int = request.path_params["conversation_id"]
    found = read_as(request, READ, lambda tx: service.thread_detail(tx, thread_id))
    return json_response(crm_of(request), found)


@operation(
    "Reply privately to the thread's sender (409 when Meta's 24-hour window is closed)",
    request=ReplyInput,
    response=Message,
    status=201,
    errors=(404, 409),
)
async def post_reply(request: Request) -> Response:
    body = await read_object(request)
    thread_id: int = request.path_params["conversation_id"]

    def work(tx: Transaction) -> Message:
        return service.reply(tx, thread_id, body)

    return json_response(crm_of(request), await write_as(request, REPLY, work), 201)


@operation(
    "Answer a visitor's comment, post or mention in public",
    request=ReplyInput,
    response=Message,
    status=201,
    errors=(404,),
)
async def post_comment_reply(request: Request) -> Response:
    body = await read_object(request)
    message_id: int = request.path_params["message_id"]

    def work(tx: Transaction) -> Message:
        return service.reply_to_comment(tx, message_id, body)

    return json_response(crm_of(request), await write_as(request, REPLY, work), 201)


@operation(
    "Page posts, the latest first",
    response=list[Post],
    query=(Param("limit", int, "At most this many (1-200, default 50)"),),
)
def list_posts(request: Request) -> Response:
    check_query(request, ("limit",))
    limit = _limit(request)
    return json_response(
        crm_of(request), read_as(request, POST, lambda tx: service.list_posts(tx, limit=limit))
    )


@operation(
    "Publish a post on a connected Facebook page", request=PostInput, response=Post, status=201
)
async def post_post(request: Request) -> Response:
    body = await read_object(request)
    created = await write_as(request, POST, lambda tx: service.create_post(tx, body))
    return json_response(crm_of(request), created, 201)


ROUTES: list[BaseRoute] = [
    Route("/conversations", list_threads, methods=["GET"]),
    Route("/conversations/{conversation_id:id}", get_thread, methods=["GET"]),
    Route("/conversations/{conversation_id:id}/replies", post_reply, methods=["POST"]),
    Route("/messages/{message_id:id}/replies", post_comment_reply, methods=["POST"]),
    Route("/posts", list_posts, methods=["GET"]),
    Route("/posts", post_post, methods=["POST"]),
]
