"""What the events part's routes and pages share: path ids and form submission."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from crmkit import ConflictError, Transaction, ValidationError, require
from crmkit.web import RefusedForm, actor_of, crm_of, read_form
from crmkit_campaigns.web import write_as

T = TypeVar("T")
Refusal = ValidationError | ConflictError


def path_id(request: Request, name: str = "event_id") -> int:
    value: int = request.path_params[name]
    return value


async def submit(
    request: Request,
    permission: str,
    act: Callable[[Transaction, dict[str, str]], str],
    refused: Callable[[Request, dict[str, str], Refusal, int], Response],
) -> Response:
    """Run ``act(tx, form)`` on the posted form and go where it says (303); or show the page
    again through ``refused`` with what was typed and why (422, or 409), having stored nothing."""
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
