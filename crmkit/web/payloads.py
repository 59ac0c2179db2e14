"""JSON in and out: request bodies parsed with a clear error, entities through the app's converter."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from crmkit.web.errors import MalformedBody

if TYPE_CHECKING:
    from crmkit.app import Crm


async def read_json(request: Request) -> Any:
    """The request body as JSON; :class:`MalformedBody` (400) says where it stops being JSON."""
    body = await request.body()
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise MalformedBody(
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except UnicodeDecodeError:
        raise MalformedBody("not valid JSON: the body is not UTF-8 text") from None


def json_response(crm: Crm, data: Any, status_code: int = 200) -> JSONResponse:
    """``data`` (entities, pages, plain values) unstructured by the app's cattrs converter."""
    return JSONResponse(crm.converter.unstructure(data), status_code)
