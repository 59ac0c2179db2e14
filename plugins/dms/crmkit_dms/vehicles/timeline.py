"""Workshop visits on the party's timeline: an interaction of source ``dms.repair_order``."""

from __future__ import annotations

from markupsafe import Markup

from crmkit import Interaction, Transaction, build_interaction, log_interaction
from crmkit_dms.vehicles.model import RepairOrder, Vehicle

SOURCE = "dms.repair_order"
VEHICLE_REF = "dms.vehicle"
ORDER_REF = "dms.repair_order"


def log_visit(tx: Transaction, order: RepairOrder, car: Vehicle) -> None:
    """The repair order on its party's timeline, when it was opened."""
    described = " ".join(str(part) for part in (car.make, car.model) if part) or car.vin
    work = "; ".join(line.description for line in order.lines)
    log_interaction(
        tx,
        build_interaction(
            {
                "party_id": order.party_id,
                "channel": "workshop",
                "direction": "inbound",
                "occurred_at": order.opened_at.isoformat(),
                "subject": f"Repair order {order.ro_number}: {described}"[:500],
                "summary": (work[:2000] or None),
                "outcome": f"{order.total} {order.currency}",
                "refs": [
                    {"kind": VEHICLE_REF, "id": str(order.vehicle_id)},
                    {"kind": ORDER_REF, "id": str(order.id)},
                ],
            },
            source=SOURCE,
        ),
    )


def render_visit(item: Interaction) -> str:
    """The visit, the work done, what it cost, and a link to the vehicle's page."""
    html = Markup("<strong>Workshop</strong> {}").format(item.subject or "")
    if item.summary:
        html += Markup(" · {}").format(item.summary)
    if item.outcome:
        html += Markup(' <span class="outcome">({})</span>').format(item.outcome)
    for ref in item.refs:
        if ref.kind == VEHICLE_REF:
            html += Markup(' · <a href="/p/dms/page/vehicles/{}">the vehicle</a>').format(ref.id)
    return str(html)
