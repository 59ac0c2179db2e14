"""The events the order book emits, for ERP connectors and other subscribers."""

from __future__ import annotations

from crmkit import EventType

EVENT_TYPES = [
    EventType(
        "sfa.order_placed",
        "A quotation was accepted and its order placed: customer with number and addresses, "
        "lines with product codes, quantities, prices, taxes and requested dates, totals",
        "sfa.order",
    ),
    EventType(
        "sfa.order_erp_status",
        "An ERP reported an order as sent, confirmed, delivered or invoiced, with its reference",
        "sfa.order",
    ),
]
