"""The segments part's JSON API under /p/campaigns/: segments, lists, suppression lists.

Reads run as the actor in a read-only transaction (a segment's parties depend on who runs it);
writes in a transaction of the actor. A segment, list or party the actor may not read is 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from attrs import frozen
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import Transaction, ValidationError, parse_whole_number, require
from crmkit.web import (
    Param,
    actor_of,
    crm_of,
    json_response,
    operation,
    optional_version,
    read_object,
    write_as,
)
from crmkit_campaigns.segments import imports, lists, service
from crmkit_campaigns.segments.access import SEGMENT_READ, SEGMENT_WRITE
from crmkit_campaigns.segments.model import (
    Criterion,
    ImportReport,
    PartyList,
    Preview,
    SampleParty,
    Segment,
)

T = TypeVar("T")
MAX_MEMBERS_SHOWN = 500
CSV_TYPES = ("text/csv", "text/plain", "application/csv")
VERSION = Param("version", int, "The version last read: 409 when it changed meanwhile")
LIMIT = Param("limit", int, f"At most this many (1 to {MAX_MEMBERS_SHOWN}, default 100)")


async def read_with(request: Request, permission: str, work: Callable[[Transaction], T]) -> T:
    """``work(tx)`` in a read-only transaction of the actor, once their role holds ``permission``."""
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, permission)
    return await crm.query(
        lambda conn: work(Transaction(conn=conn, hooks=crm.host, actor=actor, app=crm)), scans=True
    )


def _id(request: Request, name: str) -> int:
    value: int = request.path_params[name]
    return value


def _limit(request: Request, default: int) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return default
    return parse_whole_number("limit", raw, minimum=1, maximum=MAX_MEMBERS_SHOWN)


@frozen
class SegmentInput:
    """A segment to save: ``definition`` in the filter language (docs/segments.md)."""

    name: str
    definition: dict[str, Any]
    description: str | None = None
    owner_id: int | None = None


@frozen
class SegmentChanges:
    """The fields to change, and the ``version`` last read."""

    version: int
    name: str | None = None
    definition: dict[str, Any] | None = None
    description: str | None = None
    owner_id: int | None = None


@frozen
class PreviewInput:
    """A definition to preview without saving it."""

    definition: dict[str, Any]


@frozen
class ListInput:
    name: str
    description: str | None = None
    owner_id: int | None = None


@frozen
class ListChanges:
    version: int
    name: str | None = None
    description: str | None = None
    owner_id: int | None = None


@frozen
class PartyIds:
    party_ids: list[int]


@frozen
class Emails:
    emails: list[str]


def _fields(data: dict[str, Any]) -> tuple[dict[str, Any], int | None]:
    version = optional_version(data)
    return {k: v for k, v in data.items() if k != "version"}, version


# --- Segments


@operation("Saved segments, by name", response=list[Segment])
async def list_segments(request: Request) -> Response:
    found = await read_with(request, SEGMENT_READ, service.list_segments)
    return json_response(crm_of(request), found)


@operation(
    "Save a segment; its definition is checked first",
    request=SegmentInput,
    response=Segment,
    status=201,
)
async def post_segment(request: Request) -> Response:
    data = await read_object(request)
    saved = await write_as(request, SEGMENT_WRITE, lambda tx: service.create_segment(tx, data))
    return json_response(crm_of(request), saved, 201)


@operation("One saved segment", response=Segment)
async def get_segment(request: Request) -> Response:
    segment_id = _id(request, "segment_id")
    found = await read_with(request, SEGMENT_READ, lambda tx: service.get_segment(tx, segment_id))
    return json_response(crm_of(request), found)


@operation("Change a saved segment", request=SegmentChanges, response=Segment, errors=(404, 409))
async def patch_segment(request: Request) -> Response:
    segment_id = _id(request, "segment_id")
    data, version = _fields(await read_object(request))
    changed = await write_as(
        request, SEGMENT_WRITE, lambda tx: service.update_segment(tx, segment_id, data, version)
    )
    return json_response(crm_of(request), changed)


@operation(
    "Delete a saved segment no campaign targets",
    status=204,
    query=(VERSION,),
    errors=(404, 409),
    description="Send the version last read in ?version= to be told (409) of a change made meanwhile.",
)
async def delete_segment(request: Request) -> Response:
    segment_id = _id(request, "segment_id")
    version = _query_version(request)
    await write_as(
        request, SEGMENT_WRITE, lambda tx: service.delete_segment(tx, segment_id, version)
    )
    return Response(status_code=204)


def _query_version(request: Request) -> int | None:
    raw = request.query_params.get("version")
    return None if raw is None else parse_whole_number("version", raw, minimum=1)


@operation(
    "How many parties a definition targets for you, and the first 20 by name",
    request=PreviewInput,
    response=Preview,
    description="Parties you may not see and suppressed parties are not counted.",
)
async def post_preview(request: Request) -> Response:
    data = await read_object(request)
    if set(data) - {"definition"}:
        raise ValidationError(sorted(set(data) - {"definition"})[0], "unknown field")
    found = await read_with(
        request, SEGMENT_READ, lambda tx: service.preview(tx, data.get("definition"))
    )
    return json_response(crm_of(request), found)


@operation("A saved segment's preview for you: count and first 20 by name", response=Preview)
async def get_preview(request: Request) -> Response:
    segment_id = _id(request, "segment_id")

    def work(tx: Transaction) -> Preview:
        return service.preview(tx, service.get_segment(tx, segment_id).definition)

    return json_response(crm_of(request), await read_with(request, SEGMENT_READ, work))


@operation("The criteria a definition may use here, for form builders", response=list[Criterion])
async def get_criteria(request: Request) -> Response:
    found = await read_with(request, SEGMENT_READ, service.catalogue)
    return json_response(crm_of(request), found)


# --- Static and suppression lists (the same routes under two paths)


def list_routes(kind: str, path: str) -> list[BaseRoute]:
    """The routes of the lists of ``kind`` under ``path`` (``/lists``, ``/suppression-lists``)."""
    what = "static lists" if kind == "static" else "suppression lists"

    @operation(f"The {what}, by name", response=list[PartyList])
    async def index(request: Request) -> Response:
        found = await read_with(request, SEGMENT_READ, lambda tx: lists.list_lists(tx, kind))
        return json_response(crm_of(request), found)

    @operation(
        f"Create one of the {what}, empty", request=ListInput, response=PartyList, status=201
    )
    async def create(request: Request) -> Response:
        data = await read_object(request)
        made = await write_as(request, SEGMENT_WRITE, lambda tx: lists.create_list(tx, kind, data))
        return json_response(crm_of(request), made, 201)

    @operation(f"One of the {what}", response=PartyList)
    async def one(request: Request) -> Response:
        list_id = _id(request, "list_id")
        found = await read_with(request, SEGMENT_READ, lambda tx: lists.get_list(tx, list_id, kind))
        return json_response(crm_of(request), found)

    @operation(
        f"Change one of the {what}", request=ListChanges, response=PartyList, errors=(404, 409)
    )
    async def change(request: Request) -> Response:
        list_id = _id(request, "list_id")
        data, version = _fields(await read_object(request))
        changed = await write_as(
            request, SEGMENT_WRITE, lambda tx: lists.update_list(tx, list_id, kind, data, version)
        )
        return json_response(crm_of(request), changed)

    @operation(
        f"Delete one of the {what} no campaign targets",
        status=204,
        query=(VERSION,),
        errors=(404, 409),
    )
    async def remove(request: Request) -> Response:
        list_id = _id(request, "list_id")
        version = _query_version(request)
        await write_as(
            request, SEGMENT_WRITE, lambda tx: lists.delete_list(tx, list_id, kind, version)
        )
        return Response(status_code=204)

    @operation(
        f"Parties on one of the {what} that you see, by name",
        response=list[SampleParty],
        query=(LIMIT,),
    )
    async def members(request: Request) -> Response:
        list_id, limit = _id(request, "list_id"), _limit(request, 100)
        found = await read_with(
            request, SEGMENT_READ, lambda tx: lists.members_page(tx, list_id, kind, limit)
        )
        return json_response(crm_of(request), found)

    @operation(f"Add parties you see to one of the {what}", request=PartyIds, response=PartyList)
    async def add(request: Request) -> Response:
        list_id, data = _id(request, "list_id"), await read_object(request)
        changed = await write_as(
            request, SEGMENT_WRITE, lambda tx: lists.add_members(tx, list_id, kind, data)
        )
        return json_response(crm_of(request), changed)

    @operation(f"Take parties off one of the {what}", request=PartyIds, response=PartyList)
    async def take_off(request: Request) -> Response:
        list_id, data = _id(request, "list_id"), await read_object(request)
        changed = await write_as(
            request, SEGMENT_WRITE, lambda tx: lists.remove_members(tx, list_id, kind, data)
        )
        return json_response(crm_of(request), changed)

    @operation(
        f"Import lines into one of the {what}: a CSV file (text/csv) or JSON",
        response=ImportReport,
        description=(
            "CSV: a header naming party_id, email or external_id (with system). JSON: "
            '{"emails": [...]}, {"party_ids": [...]} or {"external_ids": [{"system", "id"}]}. '
            "Lines matching no party you see are reported; a malformed file stores nothing."
        ),
    )
    async def load(request: Request) -> Response:
        list_id = _id(request, "list_id")
        crm = crm_of(request)
        limit = crm.settings_of["campaigns"].segments.import_max_lines
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        if content_type in CSV_TYPES:
            lines = imports.lines_of_csv(await request.body(), limit)
        else:
            lines = imports.lines_of_json(await read_object(request), limit)
        report = await write_as(
            request, SEGMENT_WRITE, lambda tx: imports.import_lines(tx, list_id, kind, lines)
        )
        return json_response(crm, report)

    for endpoint, name in (
        (index, "index"),
        (create, "create"),
        (one, "one"),
        (change, "change"),
        (remove, "remove"),
        (members, "members"),
        (add, "add"),
        (take_off, "take_off"),
        (load, "load"),
    ):
        endpoint.__name__ = f"{kind}_list_{name}"
    item = f"{path}/{{list_id:id}}"
    return [
        Route(path, index),
        Route(path, create, methods=["POST"]),
        Route(item, one),
        Route(item, change, methods=["PATCH"]),
        Route(item, remove, methods=["DELETE"]),
        Route(f"{item}/members", members),
        Route(f"{item}/members", add, methods=["POST"]),
        Route(f"{item}/members/remove", take_off, methods=["POST"]),
        Route(f"{item}/import", load, methods=["POST"]),
    ]


@operation("Add email addresses to a suppression list", request=Emails, response=PartyList)
async def post_addresses(request: Request) -> Response:
    list_id, data = _id(request, "list_id"), await read_object(request)
    changed = await write_as(
        request, SEGMENT_WRITE, lambda tx: lists.add_addresses(tx, list_id, data)
    )
    return json_response(crm_of(request), changed)


@operation("Take email addresses off a suppression list", request=Emails, response=PartyList)
async def remove_addresses(request: Request) -> Response:
    list_id, data = _id(request, "list_id"), await read_object(request)
    changed = await write_as(
        request, SEGMENT_WRITE, lambda tx: lists.remove_addresses(tx, list_id, data)
    )
    return json_response(crm_of(request), changed)


@operation(
    "A suppression list's email addresses, in order",
    response=list[str],
    query=(LIMIT, Param("after", str, "Only the addresses after this one (the last of a page)")),
)
async def get_addresses(request: Request) -> Response:
    list_id, limit = _id(request, "list_id"), _limit(request, 100)
    after = request.query_params.get("after")
    found = await read_with(
        request, SEGMENT_READ, lambda tx: lists.list_addresses(tx, list_id, limit, after)
    )
    return json_response(crm_of(request), found)


ROUTES: list[BaseRoute] = [
    Route("/segments", list_segments),
    Route("/segments", post_segment, methods=["POST"]),
    Route("/segments/criteria", get_criteria),
    Route("/segments/preview", post_preview, methods=["POST"]),
    Route("/segments/{segment_id:id}", get_segment),
    Route("/segments/{segment_id:id}", patch_segment, methods=["PATCH"]),
    Route("/segments/{segment_id:id}", delete_segment, methods=["DELETE"]),
    Route("/segments/{segment_id:id}/preview", get_preview),
    *list_routes("static", "/lists"),
    *list_routes("suppression", "/suppression-lists"),
    Route("/suppression-lists/{list_id:id}/addresses", get_addresses),
    Route("/suppression-lists/{list_id:id}/addresses", post_addresses, methods=["POST"]),
    Route("/suppression-lists/{list_id:id}/addresses/remove", remove_addresses, methods=["POST"]),
]
