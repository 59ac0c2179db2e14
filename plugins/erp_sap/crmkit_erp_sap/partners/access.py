"""Who may do what in the partners part."""

from __future__ import annotations

from crmkit import Permission

SYNC_READ = "erp_sap:sync.read"
SYNC_RUN = "erp_sap:sync.run"

PERMISSIONS = [
    Permission(
        SYNC_READ,
        "See the SAP business partner sync runs, their failures, and a party's SAP partner",
        ("admin", "manager"),
    ),
    Permission(SYNC_RUN, "Start a pull of business partners from SAP", ("admin",)),
]
