"""What the routes and pages of every part share beyond the kernel's handlers
(``crmkit.web``'s ``read_as``, ``write_as``, ``check_query``, ``submit``): reading numbers,
flags and versions from queries, forms and JSON bodies, and showing a refused form again."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from attrs import field
from sqlalchemy import Connection, select
from starlette.requests import Request
from starlette.responses import Response

from crmkit import ValidationError, parse_whole_number, party_table
from crmkit.web import Refusal, optional_version, page_response


def optional_number(values: Mapping[str, str], name: str) -> int | None:
    """The whole number (1 or more) given as ``name`` in a form or a query, None when blank."""
    raw = values.get(name, "").strip()
    return parse_whole_number(name, raw, minimum=1) if raw else None


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
