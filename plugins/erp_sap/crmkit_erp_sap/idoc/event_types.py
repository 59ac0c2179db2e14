"""The events the idoc part emits."""

from __future__ import annotations

from crmkit import EventType

IDOC_IMPORTED = "erp_sap.idoc_imported"

EVENT_TYPES = [
    EventType(
        IDOC_IMPORTED,
        "An IDoc XML file was taken in: its name, message type, status (imported, partial, "
        "failed) and how many IDocs were applied, unchanged or failed",
        entity="erp_sap.idoc_file",
    ),
]
