"""The vehicles part's pages: the vehicles list and a vehicle's page (owners, service history)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import MenuItem, Transaction, load_parties
from crmkit.web import check_query, page_response, read_as
from crmkit_dms.vehicles import history
from crmkit_dms.vehicles.access import READ

MENU = [MenuItem("Vehicles", "/p/dms/page/vehicles", READ, order=82)]
PAGE_SIZE = 50


def vehicles_page(request: Request) -> Response:
    """Vehicles, newest first, filtered by VIN prefix, make or model."""
    check_query(request, ("vin", "make", "model", "cursor"))
    filters = {name: request.query_params.get(name) or "" for name in ("vin", "make", "model")}

    def work(tx: Transaction) -> Any:
        return history.list_vehicles(
            tx,
            vin=filters["vin"] or None,
            make=filters["make"] or None,
            model=filters["model"] or None,
            cursor=request.query_params.get("cursor") or None,
            limit=PAGE_SIZE,
        )

    page = read_as(request, READ, work)
    return page_response(request, "dms/vehicles/vehicles.html", page=page, filters=filters)


def vehicle_page(request: Request) -> Response:
    """One vehicle, who owned or drove it (those the user sees) and its repair orders."""
    check_query(request)
    vehicle_id: int = request.path_params["vehicle_id"]

    def work(tx: Transaction) -> dict[str, Any]:
        detail = history.vehicle_detail(tx, vehicle_id)
        parties = load_parties(tx.conn, sorted({o.party_id for o in detail.owners}))
        names = {party_id: party.display_name for party_id, party in parties.items()}
        return {"detail": detail, "names": names}

    return page_response(request, "dms/vehicles/vehicle.html", **read_as(request, READ, work))


ROUTES: list[BaseRoute] = [
    Route("/page/vehicles", vehicles_page, methods=["GET"]),
    Route("/page/vehicles/{vehicle_id:id}", vehicle_page, methods=["GET"]),
]
