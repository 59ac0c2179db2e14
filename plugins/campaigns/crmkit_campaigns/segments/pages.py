"""The segments part's pages: saved segments, the segment builder, static and suppression lists.

Every form is a plain post that works without JavaScript; a refused one shows the page again
with what was typed and why (422, or 409 for a stale version), having stored nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from crmkit import ConflictError, MenuItem, Transaction, ValidationError, is_allowed, require
from crmkit.web import (
    Refusal,
    RefusedForm,
    actor_of,
    crm_of,
    page_response,
    read_as,
    read_form,
    submit,
    write_as,
)
from crmkit_campaigns.segments import form as builder
from crmkit_campaigns.segments import imports, lists, service
from crmkit_campaigns.segments.access import SEGMENT_READ, SEGMENT_WRITE
from crmkit_campaigns.segments.model import ImportReport, Preview

BASE = "/p/campaigns"
MENU = [
    MenuItem("Segments", f"{BASE}/segments/page", SEGMENT_READ, order=60),
    MenuItem("Lists", f"{BASE}/lists/page", SEGMENT_READ, order=61),
]
KIND_PATHS = {"static": "lists", "suppression": "suppression-lists"}
MEMBERS_SHOWN = 50


def _id(request: Request, name: str) -> int:
    value: int = request.path_params[name]
    return value


def _status(error: Refusal) -> int:
    return 409 if isinstance(error, ConflictError) else 422


# --- Segments


def segment_list(request: Request) -> Response:
    found = read_as(request, SEGMENT_READ, service.list_segments)
    may_write = is_allowed(crm_of(request).host, actor_of(request), SEGMENT_WRITE)
    return page_response(
        request, "campaigns/segments/segments.html", segments=found, may_write=may_write
    )


def builder_page(
    request: Request,
    built: builder.BuilderForm,
    *,
    segment_id: int | None = None,
    preview: Preview | None = None,
    error: Refusal | None = None,
    status: int = 200,
) -> Response:
    """The builder form as ``built`` holds it, with a preview or a refusal."""
    catalogue = read_as(request, SEGMENT_READ, service.catalogue)
    return page_response(
        request,
        "campaigns/segments/builder.html",
        status=status,
        form=built,
        segment_id=segment_id,
        criteria=catalogue,
        operators=sorted({op for c in catalogue for op in c.operators}),
        preview=preview,
        error=error,
        error_field=getattr(error, "field", None),
        error_row=builder.error_row(built, error),
        may_write=is_allowed(crm_of(request).host, actor_of(request), SEGMENT_WRITE),
        definition_shown=built.definition,
    )


def new_segment(request: Request) -> Response:
    require(crm_of(request).host, actor_of(request), SEGMENT_WRITE)
    return builder_page(request, builder.from_definition({"all": []}))


def segment_page(request: Request) -> Response:
    segment_id = _id(request, "segment_id")

    def work(tx: Transaction) -> tuple[Any, Preview | None, Refusal | None]:
        found = service.get_segment(tx, segment_id)
        try:
            return found, service.preview(tx, found.definition), None
        except ValidationError as exc:
            return found, None, exc

    found, preview, error = read_as(request, SEGMENT_READ, work)
    built = builder.from_definition(
        found.definition,
        name=found.name,
        description=found.description or "",
        version=str(found.version),
    )
    return builder_page(request, built, segment_id=segment_id, preview=preview, error=error)


async def post_builder(request: Request) -> Response:
    """Preview, add or remove a row, or save: the button pressed says which."""
    segment_id = request.path_params.get("segment_id")
    try:
        posted = await read_form(request)
    except RefusedForm as exc:
        built = builder.read(exc.fields)
        return await run_in_threadpool(
            builder_page, request, built, segment_id=segment_id, error=exc, status=422
        )
    built = builder.read(posted)
    action = posted.get("action", "preview")
    if action == "add_row":
        return await run_in_threadpool(
            builder_page, request, builder.with_row_added(built), segment_id=segment_id
        )
    if action.startswith("remove_") and action[7:].isdigit():
        removed = builder.with_row_removed(built, int(action[7:]))
        return await run_in_threadpool(builder_page, request, removed, segment_id=segment_id)
    try:
        definition = builder.definition_of(built)
        if action == "save":
            target = await write_as(
                request, SEGMENT_WRITE, lambda tx: _save(tx, segment_id, built, definition)
            )
            return RedirectResponse(target, status_code=303)
        preview = await run_in_threadpool(
            read_as, request, SEGMENT_READ, lambda tx: service.preview(tx, definition)
        )
    except (ValidationError, ConflictError) as exc:
        refused = functools.partial(builder_page, segment_id=segment_id, error=exc)
        return await run_in_threadpool(refused, request, built, status=_status(exc))
    shown = builder.from_definition(
        definition, name=built.name, description=built.description, version=built.version
    )
    return await run_in_threadpool(
        builder_page, request, shown, segment_id=segment_id, preview=preview
    )


def _save(
    tx: Transaction, segment_id: int | None, built: builder.BuilderForm, definition: Any
) -> str:
    data = {"name": built.name, "description": built.description, "definition": definition}
    if segment_id is None:
        saved = service.create_segment(tx, data)
    else:
        version = built.version
        if not (version.isdigit() and version.isascii()):
            raise ValidationError("version", "is required: reload the page")
        saved = service.update_segment(tx, segment_id, data, int(version))
    return f"{BASE}/segments/{saved.id}/page"


# --- Lists


def lists_page(
    request: Request,
    values: dict[str, str] | None = None,
    error: Refusal | None = None,
    status: int = 200,
) -> Response:
    """Both kinds of lists, with a form to create one."""

    def work(tx: Transaction) -> dict[str, Any]:
        return {kind: lists.list_lists(tx, kind) for kind in KIND_PATHS}

    found = read_as(request, SEGMENT_READ, work)
    return page_response(
        request,
        "campaigns/segments/lists.html",
        status=status,
        static=found["static"],
        suppression=found["suppression"],
        values=values or {},
        error=error,
        error_field=getattr(error, "field", None),
        may_write=is_allowed(crm_of(request).host, actor_of(request), SEGMENT_WRITE),
    )


async def post_new_list(request: Request) -> Response:
    def create(tx: Transaction, posted: dict[str, str]) -> str:
        kind = posted.get("kind", "")
        if kind not in KIND_PATHS:
            raise ValidationError("kind", "expected static or suppression")
        data = {k: posted[k] for k in ("name", "description") if posted.get(k, "").strip()}
        return f"{BASE}/{KIND_PATHS[kind]}/{lists.create_list(tx, kind, data).id}/page"

    return await submit(request, SEGMENT_WRITE, create, lists_page)


def list_page_of(kind: str) -> Callable[..., Response]:
    def page(
        request: Request,
        values: dict[str, str] | None = None,
        error: Refusal | None = None,
        status: int = 200,
        report: ImportReport | None = None,
    ) -> Response:
        list_id = _id(request, "list_id")

        def work(tx: Transaction) -> tuple[Any, Any, list[str]]:
            found = lists.get_list(tx, list_id, kind)
            members = lists.members_page(tx, list_id, kind, MEMBERS_SHOWN)
            addresses = (
                lists.list_addresses(tx, list_id, MEMBERS_SHOWN, None)
                if kind == "suppression"
                else []
            )
            return found, members, addresses

        found, members, addresses = read_as(request, SEGMENT_READ, work)
        return page_response(
            request,
            "campaigns/segments/list.html",
            status=status,
            party_list=found,
            members=members,
            addresses=addresses,
            path=f"{BASE}/{KIND_PATHS[kind]}/{list_id}",
            values=values or {},
            error=error,
            error_field=getattr(error, "field", None),
            report=report,
            may_write=is_allowed(crm_of(request).host, actor_of(request), SEGMENT_WRITE),
        )

    return page


def import_form_of(kind: str) -> Callable[[Request], Any]:
    """The import form: CSV pasted into a text area (a page posts no files without script)."""
    page = list_page_of(kind)

    async def endpoint(request: Request) -> Response:
        list_id = _id(request, "list_id")
        posted: dict[str, str] = {}
        try:
            posted = await read_form(request)
            limit = crm_of(request).settings_of["campaigns"].segments.import_max_lines
            lines = imports.lines_of_csv(posted.get("csv", "").encode("utf-8"), limit)
            report = await write_as(
                request, SEGMENT_WRITE, lambda tx: imports.import_lines(tx, list_id, kind, lines)
            )
        except (ValidationError, ConflictError) as exc:
            typed = exc.fields if isinstance(exc, RefusedForm) else posted
            return await run_in_threadpool(page, request, typed, exc, _status(exc))
        return await run_in_threadpool(page, request, {}, None, 200, report)

    return endpoint


def remove_form_of(kind: str) -> Callable[[Request], Any]:
    """Take one party off the list (a button beside each member)."""
    page = list_page_of(kind)

    async def endpoint(request: Request) -> Response:
        list_id = _id(request, "list_id")

        def remove(tx: Transaction, posted: dict[str, str]) -> str:
            raw = posted.get("party_id", "")
            if not (raw.isdigit() and raw.isascii()):
                raise ValidationError("party_id", "expected a party id")
            lists.remove_members(tx, list_id, kind, {"party_ids": [int(raw)]})
            return f"{BASE}/{KIND_PATHS[kind]}/{list_id}/page"

        def refused(
            request: Request, posted: dict[str, str], error: Refusal, status: int
        ) -> Response:
            # The form is one button: nothing typed to show again.
            return page(request, {}, error, status)

        return await submit(request, SEGMENT_WRITE, remove, refused)

    return endpoint


def list_routes(kind: str) -> list[BaseRoute]:
    item = f"/{KIND_PATHS[kind]}/{{list_id:id}}"
    return [
        Route(f"{item}/page", list_page_of(kind)),
        Route(f"{item}/import-form", import_form_of(kind), methods=["POST"]),
        Route(f"{item}/remove-form", remove_form_of(kind), methods=["POST"]),
    ]


ROUTES: list[BaseRoute] = [
    Route("/segments/page", segment_list),
    Route("/segments/new/page", new_segment),
    Route("/segments/new/page", post_builder, methods=["POST"]),
    Route("/segments/{segment_id:id}/page", segment_page),
    Route("/segments/{segment_id:id}/page", post_builder, methods=["POST"]),
    Route("/lists/page", lists_page),
    Route("/lists/new-form", post_new_list, methods=["POST"]),
    *list_routes("static"),
    *list_routes("suppression"),
]
