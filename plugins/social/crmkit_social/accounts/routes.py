"""The accounts part's API under ``/p/social/``: connect, list, read and (de)activate pages.

No answer ever carries a token: ``AccountView`` has none.
"""

from __future__ import annotations

from typing import Any, ClassVar

from attrs import field, frozen
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import Transaction, ValidationError, parse_whole_number, require
from crmkit.web import (
    actor_of,
    check_query,
    crm_of,
    json_response,
    operation,
    optional_version,
    read_as,
    read_object,
    write_as,
)
from crmkit_social.accounts import service
from crmkit_social.accounts.access import MANAGE_ACCOUNTS
from crmkit_social.accounts.model import AccountView


@frozen
class ConnectInput:
    """A page to connect, with its page access token (checked against Graph, stored encrypted)."""

    __json_input__: ClassVar[bool] = True
    page_id: str = field(metadata={"json": {"maxLength": 64}})
    access_token: str = field(metadata={"json": {"maxLength": service.MAX_TOKEN_LENGTH}})
    platform: str = field(default="facebook", metadata={"json": {"maxLength": 20}})
    name: str | None = field(default=None, metadata={"json": {"maxLength": 200}})
    token_expires_at: str | None = field(default=None, metadata={"json": {"maxLength": 40}})


@frozen
class AccountChanges:
    """``{"active": false}`` deactivates a page (its deliveries are refused), ``true`` again."""

    __json_input__: ClassVar[bool] = True
    active: bool
    version: int | None = None


@operation("Connected pages", response=list[AccountView])
def list_accounts(request: Request) -> Response:
    check_query(request, ())
    found = read_as(request, MANAGE_ACCOUNTS, lambda tx: service.list_accounts(tx.conn))
    return json_response(crm_of(request), found)


@operation(
    "Connect a page: its token checked against Graph, the app subscribed, the token stored encrypted",
    request=ConnectInput,
    response=AccountView,
    status=201,
    errors=(409, 422),
)
async def connect_account(request: Request) -> Response:
    check_query(request, ())
    crm, actor = crm_of(request), actor_of(request)
    body = await read_object(request)
    require(crm.host, actor, MANAGE_ACCOUNTS)
    connected = await run_in_threadpool(service.connect, crm, actor, body)
    return json_response(crm, connected, 201)


@operation("A connected page", response=AccountView, errors=(404,))
def get_account(request: Request) -> Response:
    check_query(request, ("version",))
    account_id: int = request.path_params["account_id"]
    found = read_as(request, MANAGE_ACCOUNTS, lambda tx: service.account_view(tx.conn, account_id))
    return json_response(crm_of(request), found)


@operation(
    "Deactivate or activate a page (version from the query, If-Match or the body)",
    request=AccountChanges,
    response=AccountView,
    errors=(404, 409, 422),
)
async def patch_account(request: Request) -> Response:
    check_query(request, ("version",))
    body = await read_object(request)
    version = optional_version(_with_version(request, body))
    account_id: int = request.path_params["account_id"]
    unknown = sorted(set(body) - {"active", "version"})
    if unknown:
        raise ValidationError(unknown[0], "unknown field")
    active = body.get("active")
    if not isinstance(active, bool):
        raise ValidationError("active", "expected true or false")

    def work(tx: Transaction) -> AccountView:
        if version is None:  # after the permission check: an outsider learns nothing
            raise ValidationError(
                "version", "is required: the version last read (body, ?version= or If-Match)"
            )
        return service.set_active(tx, account_id, active, version)

    return json_response(crm_of(request), await write_as(request, MANAGE_ACCOUNTS, work))


def _with_version(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """The version a client last read: the body's, else the query's, else ``If-Match``."""
    if "version" in body:
        return body
    raw = request.query_params.get("version") or request.headers.get("if-match", "").strip('"W/ ')
    return {"version": parse_whole_number("version", raw, minimum=1)} if raw else {}


ROUTES: list[BaseRoute] = [
    Route("/accounts", list_accounts),
    Route("/accounts", connect_account, methods=["POST"]),
    Route("/accounts/{account_id:id}", get_account),
    Route("/accounts/{account_id:id}", patch_account, methods=["PATCH"]),
]
