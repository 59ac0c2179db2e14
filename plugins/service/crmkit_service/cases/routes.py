"""JSON routes under ``/p/service/``: cases, their events, notes, replies, links, merges, categories, trends.

Database work runs in a worker thread. A case of a party the actor may not see is
"not found"; a role that may not work on cases at all is "forbidden".
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import Page, check_fields, parse_whole_number, read_date, utcnow
from crmkit.web import (
    Param,
    actor_of,
    check_query,
    crm_of,
    json_response,
    operation,
    read_as,
    read_object,
    write_as,
)
from crmkit_service import fields
from crmkit_service.cases import categories, queries, relations, service, trends
from crmkit_service.cases.access import CASE_READ, CASE_WRITE, CATEGORY_ADMIN
from crmkit_service.cases.bodies import (
    Assignment,
    CaseChanges,
    CaseInput,
    CategoryInput,
    LinkInput,
    MergeInput,
    NoteInput,
    ReplyInput,
    StatusChange,
)
from crmkit_service.cases.model import Case, CaseEvent, Category
from crmkit_service.cases.relations import CaseLink
from crmkit_service.cases.trends import TrendPoint
from crmkit_service.web import query_flag, query_limit, without_version

T = TypeVar("T")
LIST_LIMIT = 200
CASE_FILTERS = (
    "status",
    "open",
    "owner_id",
    "team",
    "category_id",
    "party_id",
    "product",
    "kind",
    "cursor",
    "limit",
)
TREND_DAYS = 365


def _case_id(request: Request) -> int:
    case_id: int = request.path_params["case_id"]
    return case_id


# --- Cases


@operation(
    "Cases the actor may see, newest first (merged ones left out)",
    response=Page[Case],
    query=(
        Param("status", str, "Only this status"),
        Param("open", bool, "true: only the open statuses"),
        Param("owner_id", int, "Only this owner's"),
        Param("team", str, "Only this team's"),
        Param("category_id", int, "Only this category and those below it"),
        Param("party_id", int, "Only this party's"),
        Param("product", str, "Only this product's"),
        Param("kind", str, "complaint, question, request or incident"),
        Param("cursor", str, "The next_cursor of the page before"),
        Param("limit", int, f"At most this many (1 to {LIST_LIMIT}, default 50)"),
    ),
)
def list_cases(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    check_query(request, CASE_FILTERS)
    params = request.query_params
    filters: dict[str, Any] = {
        name: params[name] for name in ("status", "team", "product", "kind") if name in params
    }
    for name in ("owner_id", "category_id", "party_id"):
        if name in params:
            filters[name] = parse_whole_number(name, params[name], minimum=1)
    if query_flag(request, "open"):
        filters["open"] = True
    limit = query_limit(request, 50, LIST_LIMIT)
    with crm.read() as conn:
        page = queries.list_cases(
            conn, actor, host=crm.host, filters=filters, cursor=params.get("cursor"), limit=limit
        )
    return json_response(crm, page)


@operation(
    "Open a case for a party the actor sees",
    request=CaseInput,
    response=Case,
    status=201,
    description="A party the actor may not see is answered 404, as if it did not exist.",
)
async def post_case(request: Request) -> Response:
    body = await read_object(request)
    opened = await write_as(request, CASE_WRITE, lambda tx: service.open_case(tx, body))
    return json_response(crm_of(request), opened, 201)


@operation("One case", response=Case)
def get_case(request: Request) -> Response:
    crm = crm_of(request)
    with crm.read() as conn:
        found = service.get_case(conn, actor_of(request), _case_id(request), host=crm.host)
    return json_response(crm, found)


@operation(
    "Change a case's kind, subject, description, category, product, priority or severity",
    request=CaseChanges,
    response=Case,
    errors=(409,),
)
async def patch_case(request: Request) -> Response:
    data = await read_object(request)
    data, version = without_version(data)

    def change(tx: Any) -> Case:
        return service.update_case(tx, _case_id(request), data, version=version)

    changed = await write_as(request, CASE_WRITE, change)
    return json_response(crm_of(request), changed)


@operation(
    "Move a case to another status of its lifecycle",
    request=StatusChange,
    response=Case,
    errors=(409,),
    description="Refused (422, naming status) when the lifecycle does not allow the move; "
    "resolved needs root_cause.",
)
async def post_status(request: Request) -> Response:
    data = await read_object(request)
    check_fields(data, ("status", "root_cause", "resolution", "version"))
    data, version = without_version(data)

    def move(tx: Any) -> Case:
        return service.change_status(
            tx,
            _case_id(request),
            data.get("status"),  # type: ignore[arg-type]  # validated by the service
            root_cause=data.get("root_cause"),
            resolution=data.get("resolution"),
            version=version,
        )

    moved = await write_as(request, CASE_WRITE, move)
    return json_response(crm_of(request), moved)


@operation("Add an internal note", request=NoteInput, response=CaseEvent, status=201)
async def post_note(request: Request) -> Response:
    data = await read_object(request)
    check_fields(data, ("body",))

    def note(tx: Any) -> CaseEvent:
        return service.add_note(tx, _case_id(request), data.get("body"))  # type: ignore[arg-type]

    noted = await write_as(request, CASE_WRITE, note)
    return json_response(crm_of(request), noted, 201)


@operation(
    "Reply to the customer: the reply is emailed in the case's thread",
    request=ReplyInput,
    response=CaseEvent,
    status=201,
    errors=(409,),
)
async def post_reply(request: Request) -> Response:
    data = await read_object(request)
    check_fields(data, ("body", "status", "version"))
    data, version = without_version(data)

    def answer(tx: Any) -> CaseEvent:
        return service.reply(
            tx,
            _case_id(request),
            data.get("body"),  # type: ignore[arg-type]
            status=data.get("status"),
            version=version,
        )

    sent = await write_as(request, CASE_WRITE, answer)
    return json_response(crm_of(request), sent, 201)


@operation("Give a case to an owner or a team", request=Assignment, response=Case, errors=(409,))
async def post_assign(request: Request) -> Response:
    data = await read_object(request)
    check_fields(data, ("owner_id", "team", "version"))
    data, version = without_version(data)

    def give(tx: Any) -> Case:
        return service.assign(
            tx,
            _case_id(request),
            fields.optional_id("owner_id", data.get("owner_id")),
            data.get("team"),
            version=version,
        )

    given = await write_as(request, CASE_WRITE, give)
    return json_response(crm_of(request), given)


@operation(
    "A case's events, oldest first",
    response=list[CaseEvent],
    query=(Param("public_only", bool, "true: only what the customer sees"),),
)
def list_events(request: Request) -> Response:
    crm = crm_of(request)
    check_query(request, ("public_only",))
    public_only = bool(query_flag(request, "public_only"))
    with crm.read() as conn:
        found = service.get_case(conn, actor_of(request), _case_id(request), host=crm.host)
        events = service.case_events(conn, found.id, public_only=public_only)
    return json_response(crm, events)


@operation("The cases linked to a case", response=list[CaseLink])
def list_links(request: Request) -> Response:
    crm = crm_of(request)
    with crm.read() as conn:
        actor = actor_of(request)
        found = service.get_case(conn, actor, _case_id(request), host=crm.host)
        return json_response(crm, relations.links_of(conn, actor, found.id, host=crm.host))


@operation("Link a case to another", request=LinkInput, response=CaseLink, status=201)
async def post_link(request: Request) -> Response:
    data = await read_object(request)
    check_fields(data, ("other_id", "kind"))

    def link(tx: Any) -> CaseLink:
        return relations.link_cases(
            tx, _case_id(request), data.get("other_id"), data.get("kind", "related")
        )

    linked = await write_as(request, CASE_WRITE, link)
    return json_response(crm_of(request), linked, 201)


@operation(
    "Merge this case (a duplicate) into another: the case merged into",
    request=MergeInput,
    response=Case,
    errors=(409,),
)
async def post_merge(request: Request) -> Response:
    data = await read_object(request)
    check_fields(data, ("other_id", "version"))
    data, version = without_version(data)

    def merge(tx: Any) -> Case:
        return relations.merge_cases(tx, _case_id(request), data.get("other_id"), version=version)

    kept = await write_as(request, CASE_WRITE, merge)
    return json_response(crm_of(request), kept)


@operation(
    "A party's cases, open ones first",
    response=list[Case],
    query=(Param("open", bool, "true: only the open ones"),),
)
def list_party_cases(request: Request) -> Response:
    crm = crm_of(request)
    open_only = bool(query_flag(request, "open"))
    with crm.read() as conn:
        found = service.cases_of_party(
            conn,
            actor_of(request),
            request.path_params["party_id"],
            host=crm.host,
            open_only=open_only,
        )
    return json_response(crm, found)


# --- Categories


@operation("The category tree, each category with its path", response=list[Category])
def list_categories(request: Request) -> Response:
    found = read_as(request, CASE_READ, lambda tx: categories.list_categories(tx.conn))
    return json_response(crm_of(request), found)


@operation("Add a category", request=CategoryInput, response=Category, status=201)
async def post_category(request: Request) -> Response:
    body = await read_object(request)
    made = await write_as(request, CATEGORY_ADMIN, lambda tx: categories.create_category(tx, body))
    return json_response(crm_of(request), made, 201)


@operation("Delete a category no case or sub-category uses", status=204)
async def delete_category(request: Request) -> Response:
    category_id = request.path_params["category_id"]
    await write_as(request, CATEGORY_ADMIN, lambda tx: categories.delete_category(tx, category_id))
    return Response(status_code=204)


# --- Trends


@operation(
    "Cases per category, product or root cause, per day, week or month",
    response=list[TrendPoint],
    query=(
        Param("dimension", str, "category (default), product or root_cause"),
        Param("period", str, "day, week or month (default)"),
        Param("since", str, "The first day, YYYY-MM-DD (default: a year before until)"),
        Param("until", str, "The last day, YYYY-MM-DD (default: today)"),
    ),
)
def get_trends(request: Request) -> Response:
    crm, params = crm_of(request), request.query_params
    check_query(request, ("dimension", "period", "since", "until"))
    until = read_date("until", params["until"]) if "until" in params else utcnow().date()
    since = (
        read_date("since", params["since"])
        if "since" in params
        else until - timedelta(days=TREND_DAYS)
    )
    with crm.read() as conn:
        points = trends.case_trends(
            conn,
            actor_of(request),
            host=crm.host,
            dimension=params.get("dimension", "category"),
            period=params.get("period", "month"),
            since=since,
            until=until,
        )
    return json_response(crm, points)


ROUTES: list[BaseRoute] = [
    Route("/cases", list_cases),
    Route("/cases", post_case, methods=["POST"]),
    Route("/cases/{case_id:id}", get_case),
    Route("/cases/{case_id:id}", patch_case, methods=["PATCH"]),
    Route("/cases/{case_id:id}/status", post_status, methods=["POST"]),
    Route("/cases/{case_id:id}/notes", post_note, methods=["POST"]),
    Route("/cases/{case_id:id}/replies", post_reply, methods=["POST"]),
    Route("/cases/{case_id:id}/assign", post_assign, methods=["POST"]),
    Route("/cases/{case_id:id}/events", list_events),
    Route("/cases/{case_id:id}/links", list_links),
    Route("/cases/{case_id:id}/links", post_link, methods=["POST"]),
    Route("/cases/{case_id:id}/merge", post_merge, methods=["POST"]),
    Route("/parties/{party_id:id}/cases", list_party_cases),
    Route("/categories", list_categories),
    Route("/categories", post_category, methods=["POST"]),
    Route("/categories/{category_id:id}", delete_category, methods=["DELETE"]),
    Route("/trends", get_trends),
]
