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
from crmkit.web.errors import MalformedBody

if TYPE_CHECKING:
    from crmkit.app import Crm

MAX_SAFE_INTEGER = 2**53 - 1


def form_fields(body: bytes) -> dict[str, str]:
    """The fields of a url-encoded form body (the last value of a repeated name; blank ones kept)."""
    return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))


async def read_form(request: Request) -> dict[str, str]:
    """The fields of a url-encoded form the request posted (what the UI's forms send)."""
    return form_fields(await request.body())


async def read_json(request: Request) -> Any:
    """The request body as JSON; :class:`MalformedBody` (400) says where it stops being JSON."""
    body = await request.body()
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise MalformedBody(
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except UnicodeDecodeError:
        raise MalformedBody("not valid JSON: the body is not UTF-8 text") from None
    _check_storable(data, "body")
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
    # Valid JSON a database cannot store must be refused here, not fail in the INSERT:
    # PostgreSQL rejects NUL in text, no driver encodes a lone surrogate, and integers
    # beyond 2**53 are not exchanged reliably (RFC 7493).
    if isinstance(value, str):
        if "\x00" in value:
            raise ValidationError(where, "text may not contain NUL characters")
        try:
            value.encode()
        except UnicodeEncodeError:
            raise ValidationError(where, "text contains an unpaired surrogate") from None
    elif isinstance(value, bool):
        return
    elif isinstance(value, int) and abs(value) > MAX_SAFE_INTEGER:
        raise ValidationError(where, f"integers beyond {MAX_SAFE_INTEGER} are not accepted")
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
