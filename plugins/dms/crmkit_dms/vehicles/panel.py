"""The party's vehicles on its page: each with its VIN, mileage, warranty and last visits."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from sqlalchemy import Connection

from crmkit import Actor, Crm, Panel, Transaction, is_allowed
from crmkit_dms.vehicles import history
from crmkit_dms.vehicles.access import READ

ORDER = 45
VISITS_SHOWN = 3


def panels(app: Crm, actor: Actor, party: Any) -> list[Panel]:
    """A "Vehicles" panel for whoever may read vehicles (the kernel has checked the party)."""
    if not is_allowed(app.host, actor, READ):
        return []

    def render(conn: Connection) -> str:
        tx = Transaction(conn=conn, hooks=app.host, actor=actor, app=app)
        return render_vehicles(history.vehicles_of(tx, party.id))

    return [Panel("Vehicles", render, ORDER)]


def render_vehicles(details: list[history.VehicleDetail]) -> str:
    if not details:
        return str(Markup("<p>No vehicle on record.</p>"))
    html = Markup("<ul>")
    for detail in details:
        car = detail.vehicle
        html += Markup('<li><a href="/p/dms/page/vehicles/{}">{} {} {}</a> <code>{}</code>').format(
            car.id, car.make or "", car.model or "", car.model_year or "", car.vin
        )
        if car.mileage is not None:
            html += Markup(" · {} km").format(car.mileage)
        if car.warranty_until is not None:
            html += Markup(" · warranty until {}").format(car.warranty_until.isoformat())
        visits = detail.repair_orders[:VISITS_SHOWN]
        if visits:
            html += Markup("<ul>")
            for order in visits:
                html += Markup("<li>{} {}: {} {}</li>").format(
                    order.opened_at.date().isoformat(), order.ro_number, order.total, order.currency
                )
            html += Markup("</ul>")
        html += Markup("</li>")
    return str(html + Markup("</ul>"))
