"""The order book's permissions; which quotations and orders an actor sees follows their opportunity."""

from __future__ import annotations

from crmkit import Permission

SELLERS = ("admin", "manager", "sales")

PERMISSIONS = [
    Permission("sfa:product.read", "See products and price lists", (*SELLERS, "read-only")),
    Permission("sfa:product.write", "Maintain products and price lists", ("admin", "manager")),
    Permission("sfa:quote.read", "See quotations", (*SELLERS, "read-only")),
    Permission("sfa:quote.write", "Draft, send, revise and reject quotations", SELLERS),
    Permission("sfa:quote.accept", "Accept a quotation, placing its order", SELLERS),
    Permission("sfa:order.read", "See sales orders", (*SELLERS, "read-only")),
    # Connectors report as the system actor or with an admin's token.
    Permission("sfa:order.erp", "Report an order's status in the ERP", ("admin",)),
]
