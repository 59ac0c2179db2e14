"""What a plugin's route handlers do on every request: act as the request's user once their role
holds a permission (reading, or writing in a transaction), refuse query parameters nobody reads,
and post a form that either goes where it says or shows the page again with why it was refused."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from crmkit.core.db import Transaction
from crmkit.core.errors import ConflictError, ValidationError
from crmkit.core.permissions import require
from crmkit.web.context import actor_of, crm_of
from crmkit.web.errors import RefusedForm
from crmkit.web.payloads import read_form

T = TypeVar("T")

Refusal = ValidationError | ConflictError
"""Why a form was refused: what its page shows beside what was typed."""


def read_as(request: Request, permission: str, work: Callable[[Transaction], T]) -> T:
    """``work(tx)`` on a read-only transaction of the request's actor (its ``conn`` reads),
    once their role holds ``permission``."""
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, permission)
    with crm.read() as conn:
        return work(Transaction(conn=conn, hooks=crm.host, actor=actor, app=crm))


async def write_as(request: Request, permission: str, work: Callable[[Transaction], T]) -> T:
    """``work(tx)`` in a transaction of the request's actor, once their role holds ``permission``."""
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, permission)
    return await crm.write(work, actor)


def check_query(request: Request, known: Iterable[str] = ()) -> None:
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


async def submit(
    request: Request,
    permission: str,
    act: Callable[[Transaction, dict[str, str]], str],
    refused: Callable[[Request, dict[str, str], Refusal, int], Response],
) -> Response:
    """Run ``act(tx, form)`` on the posted form in a transaction of the actor, once their role
    holds ``permission``, and go where it returns (303); or show the page again through
    ``refused(request, form, error, status)`` with what was typed and why it was refused
    (422, or 409 for a conflict), having stored nothing."""
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


__all__ = ["Refusal", "check_query", "read_as", "submit", "write_as"]
