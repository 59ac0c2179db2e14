"""Request bodies in (JSON with a clear error, url-encoded forms), entities out through the app's converter."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse

from crmkit.core.errors import ValidationError
from crmkit.core.inputs import MAX_ID
from crmkit.core.untrusted import MAX_DEPTH, check_nesting, check_storable_text
from crmkit.web.errors import MalformedBody, RefusedForm
from crmkit.web.sizes import check_declared_sizes

if TYPE_CHECKING:
    from crmkit.app import Crm


def form_fields(body: bytes) -> dict[str, str]:
    """The fields of a url-encoded form body (the last value of a repeated name; blank ones kept).

    Refused as :func:`read_json` refuses a JSON body: one that is not UTF-8 is a
    :class:`MalformedBody` (400), a field holding text no database stores a
    :class:`RefusedForm` naming it (422), which carries the other fields.
    """
    try:
        fields = dict(parse_qsl(body.decode(), keep_blank_values=True, errors="strict"))
    except UnicodeDecodeError:
        raise MalformedBody("not a valid form: the body is not UTF-8 text") from None
    refusals: list[ValidationError] = []
    for name, value in fields.items():
        try:
            check_storable_text(name, value)
        except ValidationError as exc:
            refusals.append(exc)
    if refusals:
        first = refusals[0]
        kept = {
            name: "" if name in {r.field for r in refusals} else v for name, v in fields.items()
        }
        raise RefusedForm(first.field, first.reason, kept)
    return fields


async def read_form(request: Request) -> dict[str, str]:
    """The fields of a url-encoded form the request posted (what the UI's forms send)."""
    return form_fields(await request.body())


async def read_json(request: Request) -> Any:
    """The request body as JSON, held to the sizes the route's operation declares for it.

    :class:`MalformedBody` (400): the body is not UTF-8, says where it stops being
    JSON, or nests arrays and objects deeper than :data:`MAX_DEPTH` levels (refused
    before parsing). A value no database stores, or beyond a declared size
    (``maxLength``, ``maxItems``, ``maxProperties``): a ValidationError naming it (422).
    """
    body = await request.body()
    try:
        text = body.decode("utf-8-sig")  # RFC 8259: UTF-8; a byte order mark may be ignored
    except UnicodeDecodeError:
        raise MalformedBody("not valid JSON: the body is not UTF-8 text") from None
    try:
        check_nesting(text, MAX_DEPTH)
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedBody(
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except ValueError as exc:
        raise MalformedBody(f"not accepted as JSON: {exc}") from None
    _check_storable(data, "body")
    check_declared_sizes(request.scope, data)
    return data


async def read_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object (the shape of every create and update)."""
    data = await read_json(request)
    if not isinstance(data, dict):
        raise MalformedBody(f"expected a JSON object, got {type(data).__name__}")
    return data


def only_fields(data: dict[str, Any], allowed: Iterable[str]) -> None:
    """Refuse a body field the operation does not take, naming it."""
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError(sorted(unknown)[0], "unknown field")


def optional_version(data: Mapping[str, Any]) -> int | None:
    """The ``version`` the client last read, if it sent one."""
    version = data.get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise ValidationError("version", "expected a whole number")
    return version


def _check_storable(value: Any, where: str) -> None:
    # Valid JSON a database cannot store must be refused here, not fail in the INSERT;
    # integers beyond 2**53 are not exchanged reliably (RFC 7493). Recursing is safe:
    # read_json refused a body nested deeper than MAX_DEPTH before parsing it.
    if isinstance(value, str):
        check_storable_text(where, value)
    elif isinstance(value, bool):
        return
    elif isinstance(value, int) and abs(value) > MAX_ID:
        raise ValidationError(where, f"integers beyond {MAX_ID} are not accepted")
    elif isinstance(value, float) and not math.isfinite(value):  # json.loads accepts NaN
        raise ValidationError(where, f"{value} is not a number JSON allows")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_storable(key, where)
            _check_storable(item, key if where == "body" else f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_storable(item, f"{where}[{i}]")


def json_response(crm: Crm, data: Any, status_code: int = 200) -> JSONResponse:
    """``data`` (entities, pages, plain values) unstructured by the app's cattrs converter."""
    return JSONResponse(crm.converter.unstructure(data), status_code)
