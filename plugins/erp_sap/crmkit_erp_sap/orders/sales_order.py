"""An sfa order as the ``A_SalesOrder`` entity of SAP's ``API_SALES_ORDER_SRV`` (OData V2).

The header carries the organisational data from settings, the sold-to party (the SAP
business partner number of the order's party) and our reference in
``PurchaseOrderByCustomer``; ``to_Item`` and ``to_Partner`` are deep-inserted in the same
create. Property names and lengths follow SAP's published API (docs/orders.md lists them);
a value SAP could not take is refused here, before anything is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from crmkit import ValidationError
from crmkit_erp_sap.connection.values import json_date
from crmkit_erp_sap.orders.settings import OrdersSettings

if TYPE_CHECKING:
    from crmkit_sfa.erp import Line, Order

ENTITY_SET = "A_SalesOrder"
MATERIAL_LENGTH = 40
REFERENCE_LENGTH = 35
ITEM_STEP = 10
"""SAP numbers items 10, 20, 30 ... (SalesOrderItem, up to six digits)."""


def sales_order(
    placed: Order, sold_to: str, reference: str, settings: OrdersSettings
) -> dict[str, Any]:
    """The JSON body creating ``placed`` in SAP, or :class:`ValidationError` naming the field
    SAP would refuse."""
    if not placed.lines:
        raise ValidationError("lines", f"order {placed.number} has no lines to send")
    if len(reference) > REFERENCE_LENGTH:
        raise ValidationError(
            "reference", f"{reference!r} is longer than {REFERENCE_LENGTH} characters"
        )
    return {
        "SalesOrderType": settings.sales_order_type,
        "SalesOrganization": settings.sales_organization,
        "DistributionChannel": settings.distribution_channel,
        "OrganizationDivision": settings.organization_division,
        "SoldToParty": sold_to,
        "PurchaseOrderByCustomer": reference,
        "TransactionCurrency": placed.currency,
        "to_Item": [
            _item(index, line, settings.units) for index, line in enumerate(placed.lines, start=1)
        ],
        "to_Partner": [{"PartnerFunction": "SH", "Customer": sold_to}],
    }


def _item(index: int, line: Line, units: Mapping[str, str]) -> dict[str, Any]:
    if len(line.product_code) > MATERIAL_LENGTH:
        raise ValidationError(
            "product_code",
            f"line {line.position}: {line.product_code!r} is longer than SAP's "
            f"{MATERIAL_LENGTH}-character material number",
        )
    item: dict[str, Any] = {
        "SalesOrderItem": str(index * ITEM_STEP),
        "Material": line.product_code,
        "SalesOrderItemText": line.description[:40],
        "RequestedQuantity": format(line.quantity.normalize(), "f"),
        "RequestedQuantityUnit": sap_unit(line.position, line.unit, units),
    }
    if line.requested_date is not None:
        item["to_ScheduleLine"] = [{"RequestedDeliveryDate": json_date(line.requested_date)}]
    return item


def sap_unit(position: int, unit: str, units: Mapping[str, str]) -> str:
    """The SAP unit of measure of an sfa line unit (settings ``units``)."""
    mapped = units.get(unit.lower())
    if mapped is not None:
        return mapped
    if 0 < len(unit) <= 3:
        return unit.upper()
    raise ValidationError(
        "unit", f"line {position}: unit {unit!r} has no SAP unit of measure (settings units)"
    )
