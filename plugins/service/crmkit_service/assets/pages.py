"""Web pages: a party's assets and contracts with their entitlement; forms to add and change them.

A refused form shows the page again with what was typed and the reason, and
stores nothing. A party the user may not see is "not found".
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import (
    Transaction,
    is_allowed,
    parse_whole_number,
    require,
    seen_party,
)
from crmkit.web import Refusal, actor_of, crm_of, submit
from crmkit_service.assets import service
from crmkit_service.assets.access import ASSET_READ, ASSET_WRITE, CONTRACT_WRITE
from crmkit_service.assets.entitlement import entitlement_of
from crmkit_service.assets.routes import visible_asset, visible_contract, warranty_months
from crmkit_service.web import filled, form_page, form_version

ASSET_FORM = ("product", "serial_number", "vin", "purchase_date", "warranty_end", "notes")
CONTRACT_FORM = ("reference", "starts_on", "ends_on", "visits_included", "penalty_terms")


def party_page_url(party_id: int) -> str:
    return f"/p/service/parties/{party_id}/assets/page"


def _contract_input(form: dict[str, str]) -> dict[str, Any]:
    """The contract fields of a form, numbers read as numbers; no asset: it covers them all."""
    data: dict[str, Any] = {name: form.get(name, "").strip() for name in CONTRACT_FORM}
    if data["visits_included"]:
        data["visits_included"] = parse_whole_number("visits_included", data["visits_included"])
    raw_asset = form.get("asset_id", "").strip()
    data["asset_id"] = parse_whole_number("asset_id", raw_asset, minimum=1) if raw_asset else None
    return data


def party_assets(
    request: Request,
    values: dict[str, str] | None = None,
    error: Refusal | None = None,
    status: int = 200,
) -> Response:
    """The party's assets (each with its entitlement today) and contracts, and the forms to add them."""
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, ASSET_READ)
    party_id = request.path_params["party_id"]
    with crm.read() as conn:
        party = seen_party(crm.host, conn, actor, party_id)
        assets = [
            (a, entitlement_of(conn, party_id, a.id))
            for a in service.assets_of_party(conn, party_id)
        ]
        contracts = service.contracts_of_party(conn, party_id)
        overall = entitlement_of(conn, party_id, None)
    return form_page(
        request,
        "service/assets_party.html",
        status=status,
        party=party,
        assets=assets,
        contracts=contracts,
        entitlement=overall,
        may_write=is_allowed(crm.host, actor, ASSET_WRITE),
        may_contract=is_allowed(crm.host, actor, CONTRACT_WRITE),
        values=values or {},
        error=error,
    )


async def post_asset_form(request: Request) -> Response:
    party_id = request.path_params["party_id"]

    def create(tx: Transaction, form: dict[str, str]) -> str:
        seen_party(tx.hooks, tx.conn, tx.actor, party_id)
        data = {"party_id": party_id, **filled(form, ASSET_FORM)}
        service.create_asset(tx, data, warranty_months=warranty_months(request))
        return party_page_url(party_id)

    return await submit(request, ASSET_WRITE, create, party_assets)


async def post_contract_form(request: Request) -> Response:
    party_id = request.path_params["party_id"]

    def create(tx: Transaction, form: dict[str, str]) -> str:
        seen_party(tx.hooks, tx.conn, tx.actor, party_id)
        service.create_contract(tx, {"party_id": party_id, **_contract_input(form)})
        return party_page_url(party_id)

    return await submit(request, CONTRACT_WRITE, create, party_assets)


def edit_asset(
    request: Request,
    values: dict[str, str] | None = None,
    error: Refusal | None = None,
    status: int = 200,
) -> Response:
    """The form changing an asset."""
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, ASSET_WRITE)
    with crm.read() as conn:
        item = visible_asset(request, conn, request.path_params["asset_id"])
    shown = {
        name: "" if getattr(item, name) is None else str(getattr(item, name)) for name in ASSET_FORM
    }
    return form_page(
        request,
        "service/assets_edit.html",
        status=status,
        item=item,
        values=values or shown,
        error=error,
    )


async def post_edit_asset(request: Request) -> Response:
    def change(tx: Transaction, form: dict[str, str]) -> str:
        item = visible_asset(request, tx.conn, request.path_params["asset_id"])
        data = {name: form.get(name, "").strip() or None for name in ASSET_FORM}
        service.update_asset(
            tx, item.id, data, form_version(form), warranty_months=warranty_months(request)
        )
        return party_page_url(item.party_id)

    return await submit(request, ASSET_WRITE, change, edit_asset)


def edit_contract(
    request: Request,
    values: dict[str, str] | None = None,
    error: Refusal | None = None,
    status: int = 200,
) -> Response:
    """The form changing a contract."""
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, CONTRACT_WRITE)
    with crm.read() as conn:
        item = visible_contract(request, conn, request.path_params["contract_id"])
        assets = service.assets_of_party(conn, item.party_id)
    shown = {
        name: "" if getattr(item, name) is None else str(getattr(item, name))
        for name in (*CONTRACT_FORM, "asset_id")
    }
    return form_page(
        request,
        "service/assets_contract_edit.html",
        status=status,
        item=item,
        assets=assets,
        values=values or shown,
        error=error,
    )


async def post_edit_contract(request: Request) -> Response:
    def change(tx: Transaction, form: dict[str, str]) -> str:
        item = visible_contract(request, tx.conn, request.path_params["contract_id"])
        service.update_contract(tx, item.id, _contract_input(form), form_version(form))
        return party_page_url(item.party_id)

    return await submit(request, CONTRACT_WRITE, change, edit_contract)


ROUTES: list[BaseRoute] = [
    Route("/parties/{party_id:id}/assets/page", party_assets),
    Route("/parties/{party_id:id}/assets/page", post_asset_form, methods=["POST"]),
    Route("/parties/{party_id:id}/contracts/page", post_contract_form, methods=["POST"]),
    Route("/assets/{asset_id:id}/edit", edit_asset),
    Route("/assets/{asset_id:id}/edit", post_edit_asset, methods=["POST"]),
    Route("/contracts/{contract_id:id}/edit", edit_contract),
    Route("/contracts/{contract_id:id}/edit", post_edit_contract, methods=["POST"]),
]
