"""The events the partners part emits."""

from __future__ import annotations

from crmkit import EventType

SYNC_RUN_ENTITY = "erp_sap.sync_run"

EVENT_TYPES: list[EventType] = [
    EventType(
        "erp_sap.sync_finished",
        "A pull of business partners ended (run_id, system, kind, status, created, updated,"
        " unchanged, failed)",
        SYNC_RUN_ENTITY,
    ),
]
