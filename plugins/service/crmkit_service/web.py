"""What the routes and pages of every part share: running a request as its actor (reading, or
writing in a transaction), reading query parameters and forms, posting a form and going where
it says."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from attrs import field
from sqlalchemy import Connection, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from crmkit import (
    ConflictError,
    Transaction,
    ValidationError,
    parse_whole_number,
    party_table,
    require,
)
from crmkit.web import (
    RefusedForm,
    actor_of,
    crm_of,
    optional_version,
    page_response,
    read_form,
)

T = TypeVar("T")


def read_as(request: Request, permission: str, work: Callable[[Connection], T]) -> T:
    """``work(conn)`` on a read connection, once the actor's role holds ``permission``."""
    crm = crm_of(request)
    require(crm.host, actor_of(request), permission)
    with crm.read() as conn:
        return work(conn)


async def write_as(request: Request, permission: str, work: Callable[[Transaction], T]) -> T:
    """``work(tx)`` in a transaction of the actor, once their role holds ``permission``."""
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, permission)
    return await crm.write(work, actor)


def optional_number(values: Mapping[str, str], name: str) -> int | None:
    """The whole number (1 or more) given as ``name`` in a form or a query, None when blank."""
    raw = values.get(name, "").strip()
    return parse_whole_number(name, raw, minimum=1) if raw else None


def check_query(request: Request, known: Iterable[str]) -> None:
    """Refuse a query parameter the route does not read, or one given twice: neither is ignored.

    As the kernel's API does, so that a typo does not silently widen a list, and
    ``phone=1&phone=2`` does not silently mean the last one.
    """
    allowed, seen = set(known), set()
    for name, _ in request.query_params.multi_items():
        if name not in allowed:
            raise ValidationError(name, "unknown query parameter")
        if name in seen:
            raise ValidationError(name, "given more than once")
        seen.add(name)


def query_flag(request: Request, name: str) -> bool | None:
    """The query parameter ``name`` given as ``true`` or ``false``; None when absent."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if raw not in ("true", "false"):
        raise ValidationError(name, "expected true or false")
    return raw == "true"


def query_limit(request: Request, default: int, maximum: int) -> int:
    """The ``limit`` query parameter, 1 to ``maximum``; ``default`` when absent."""
    raw = request.query_params.get("limit")
    return default if raw is None else parse_whole_number("limit", raw, minimum=1, maximum=maximum)


def without_version(data: dict[str, Any]) -> tuple[dict[str, Any], int | None]:
    """A JSON body's fields but ``version``, and the version it names (None when it names none)."""
    version = optional_version(data)
    return {k: v for k, v in data.items() if k != "version"}, version


Refusal = ValidationError | ConflictError
"""What a form's page shows when it refuses what was typed."""


async def submit(
    request: Request,
    permission: str,
    act: Callable[[Transaction, dict[str, str]], str],
    refused: Callable[[Request, dict[str, str], Refusal, int], Response],
) -> Response:
    """Run ``act(tx, form)`` on the posted form in a transaction of the actor, once their role
    holds ``permission``, and go where it says (303); or show the page again through ``refused``
    with what was typed and why it was refused (422, or 409), having stored nothing."""
    try:
        form = await read_form(request)
    except RefusedForm as exc:
        require(crm_of(request).host, actor_of(request), permission)
        return await run_in_threadpool(refused, request, exc.fields, exc, 422)
    try:
        target = await write_as(request, permission, lambda tx: act(tx, form))
    except (ValidationError, ConflictError) as exc:
        status = 409 if isinstance(exc, ConflictError) else 422
        return await run_in_threadpool(refused, request, form, exc, status)
    return RedirectResponse(target, status_code=303)


def filled(form: Mapping[str, str], names: tuple[str, ...]) -> dict[str, str]:
    """The form's non-blank fields among ``names``, as a service takes them."""
    return {name: form[name].strip() for name in names if form.get(name, "").strip()}


def form_version(form: Mapping[str, str]) -> int:
    """The version the page showed: every form that changes a record carries it, so a change
    made meanwhile by someone else is a conflict, never overwritten."""
    version = optional_number(form, "version")
    if version is None:
        raise ValidationError("version", "is required: reload the page")
    return version


def form_page(
    request: Request,
    template: str,
    *,
    error: Refusal | None,
    **context: Any,
) -> Response:
    """A page of forms showing why the last one was refused, its field marked (``error_field``)."""
    return page_response(
        request, template, error=error, error_field=getattr(error, "field", None), **context
    )


def text_field(limit: int, default: Any = None) -> Any:
    """A text field of a JSON body's attrs class: its ``maxLength`` is in the OpenAPI document
    and held to when the body is read."""
    return field(default=default, metadata={"json": {"maxLength": limit}})


def party_names(conn: Connection, party_ids: Iterable[int]) -> dict[int, str]:
    """The display names of these parties, which the caller has checked the actor sees."""
    wanted = set(party_ids)
    if not wanted:
        return {}
    rows = conn.execute(
        select(party_table.c.id, party_table.c.display_name).where(party_table.c.id.in_(wanted))
    )
    return {row.id: row.display_name for row in rows}
