"""The domain events of visits, for webhooks and other plugins (entity ``service.dispatch``).

Payloads carry ids, status, slot, urgency and entitlement; never the site's
address, the instructions or the report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmkit import EventType, Transaction

if TYPE_CHECKING:
    from crmkit_service.dispatch.service import Dispatch

ENTITY = "service.dispatch"

EVENT_TYPES = [
    EventType("service.dispatch_requested", "A visit to a customer's site was requested", ENTITY),
    EventType(
        "service.dispatch_assigned",
        "A technician was sent on a visit, or the visit was rescheduled (technician_id, slot)",
        ENTITY,
    ),
    EventType(
        "service.dispatch_status_changed",
        "A visit went on site, was done (billable, entitlement) or was cancelled",
        ENTITY,
    ),
]


def emit(tx: Transaction, event_type: str, item: Dispatch) -> None:
    """Record ``event_type`` about the visit, delivered if the transaction commits."""
    payload: dict[str, Any] = {
        "id": item.id,
        "case_id": item.case_id,
        "party_id": item.party_id,
        "status": item.status,
        "technician_id": item.technician_id,
        "urgency": item.urgency,
        "scheduled_start": item.scheduled_start.isoformat(),
        "scheduled_end": item.scheduled_end.isoformat(),
        "entitlement": item.entitlement,
        "billable": item.billable,
    }
    tx.emit(event_type, ENTITY, item.id, payload)
