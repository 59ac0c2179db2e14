"""Who may do what in the orders part: pushes are seen as their order's party is."""

from __future__ import annotations

from crmkit import Permission

ORDER_READ = "erp_sap:order.read"
ORDER_RETRY = "erp_sap:order.retry"

PERMISSIONS = [
    Permission(
        ORDER_READ,
        "See the SAP pushes of orders whose party one sees",
        ("admin", "manager", "sales"),
    ),
    Permission(ORDER_RETRY, "Send a failed or given-up order push to SAP again", ("admin",)),
]
