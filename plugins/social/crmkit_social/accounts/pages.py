"""The accounts part's admin pages: connected pages, connecting one, (de)activating."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from crmkit import (
    ConflictError,
    MenuItem,
    Transaction,
    ValidationError,
    parse_whole_number,
    require,
)
from crmkit.web import Refusal, actor_of, crm_of, page_response, read_as, read_form, submit
from crmkit_social.accounts import service
from crmkit_social.accounts.access import MANAGE_ACCOUNTS
from crmkit_social.accounts.model import PLATFORMS

BASE = "/p/social/page/accounts"
MENU = [MenuItem("Social accounts", BASE, MANAGE_ACCOUNTS, order=80)]


def accounts_page(
    request: Request,
    values: dict[str, str] | None = None,
    error: Refusal | None = None,
    status: int = 200,
) -> Response:
    """Every connected page with its token's state; the form to connect one."""
    found = read_as(request, MANAGE_ACCOUNTS, lambda tx: service.list_accounts(tx.conn))
    shown = dict(values or {"platform": "facebook"})
    shown.pop("access_token", None)  # a token typed is never shown back
    return page_response(
        request,
        "social/accounts/list.html",
        status=status,
        accounts=found,
        platforms=PLATFORMS,
        values=shown,
        error=error,
        error_field=getattr(error, "field", None),
    )


async def post_connect(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, MANAGE_ACCOUNTS)
    fields = await read_form(request)
    body: dict[str, object] = {
        "platform": fields.get("platform", "facebook"),
        "page_id": fields.get("page_id", "").strip(),
        "access_token": fields.get("access_token", ""),
    }
    if fields.get("name", "").strip():
        body["name"] = fields["name"].strip()
    try:
        await run_in_threadpool(service.connect, crm, actor, body)
    except ValidationError as error:
        return accounts_page(request, fields, error, 422)
    except ConflictError as error:
        return accounts_page(request, fields, error, 409)
    return RedirectResponse(BASE, 303)


async def post_active(request: Request) -> Response:
    account_id: int = request.path_params["account_id"]

    def switch(tx: Transaction, fields: dict[str, str]) -> str:
        version = parse_whole_number("version", fields.get("version", ""), minimum=1)
        service.set_active(tx, account_id, fields.get("active") == "true", version)
        return BASE

    return await submit(request, MANAGE_ACCOUNTS, switch, accounts_page)


ROUTES: list[BaseRoute] = [
    Route("/page/accounts", accounts_page),
    Route("/page/accounts", post_connect, methods=["POST"]),
    Route("/page/accounts/{account_id:id}/active", post_active, methods=["POST"]),
]
