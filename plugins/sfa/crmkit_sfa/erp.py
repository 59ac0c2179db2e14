"""What an ERP connector (a plugin depending on sfa) uses of it: placed orders, and the way to
report what the ERP made of one. The rest of the package is internal.

An order placed by accepting a quotation is announced by the ``sfa.order_placed`` event; a
connector reads it whole with :func:`get_order` (or :func:`visible_order`, for an actor and
their record rules), and reports the ERP's progress with :func:`update_erp_status`
(``ERP_STATUSES``, forward only), which puts it on the order and emits
``sfa.order_erp_status``.
"""

from __future__ import annotations

from crmkit_sfa.quotes.orders import (
    ERP_STATUSES,
    Order,
    get_order,
    update_erp_status,
    visible_order,
)
from crmkit_sfa.quotes.quotations import Line

__all__ = ["ERP_STATUSES", "Line", "Order", "get_order", "update_erp_status", "visible_order"]
