"""Who may do what in the idoc part."""

from __future__ import annotations

from crmkit import Permission

IDOC_READ = "erp_sap:idoc.read"
IDOC_IMPORT = "erp_sap:idoc.import"
IDOC_EXPORT = "erp_sap:idoc.export"

PERMISSIONS = [
    Permission(
        IDOC_READ, "See the IDoc files taken in and what became of them", ("admin", "manager")
    ),
    Permission(IDOC_IMPORT, "Take in IDoc files from the inbox", ("admin",)),
    Permission(IDOC_EXPORT, "Export an order as an ORDERS05 IDoc", ("admin", "manager", "sales")),
]
