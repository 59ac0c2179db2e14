"""What the routes and pages of the parts share: running a request as its actor, reading or
writing in a transaction once their role holds a permission."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection
from starlette.requests import Request

from crmkit import Transaction, ValidationError, require
from crmkit.web import actor_of, crm_of

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


def check_query(request: Request, known: tuple[str, ...] = ()) -> None:
    """Refuse a query parameter the route does not read, or one given twice: neither is ignored."""
    seen: set[str] = set()
    for name, _ in request.query_params.multi_items():
        if name not in known:
            raise ValidationError(name, "unknown query parameter")
        if name in seen:
            raise ValidationError(name, "given more than once")
        seen.add(name)
