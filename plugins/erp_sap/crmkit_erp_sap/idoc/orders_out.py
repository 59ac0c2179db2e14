"""An sfa order as an ORDERS05 IDoc (message type ORDERS, inbound to SAP), written with lxml.

The layout is the one of docs/idoc.md: the EDI_DC40 control record, E1EDK01 header, E1EDK14
organisational data (from ``[plugins.erp_sap.orders]``), E1EDK03 dates, E1EDKA1 sold-to party,
E1EDK02 our order number as the customer's purchase order, one E1EDP01 per line with its
material (E1EDP19 qualifier 002), schedule line (E1EDP20) and text, and the E1EDS01 totals.
The DOCNUM is the order's id, zero-padded: exporting an order again gives SAP the same IDoc.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from lxml import etree
from sqlalchemy import Connection

from crmkit import Actor, ConflictError, Crm, NotFound, external_ids_of, seen_party
from crmkit_erp_sap.orders.settings import OrdersSettings
from crmkit_erp_sap.partners.record import external_system, internal_number

SENDER = "CRMKIT"


def docnum_of(order_id: int) -> str:
    """The DOCNUM of an order's ORDERS05 IDoc: its id in SAP's 16 zero-padded digits."""
    return f"{order_id:016d}"


def _segment(parent: etree._Element, name: str, **fields: Any) -> etree._Element:
    element = etree.SubElement(parent, name, SEGMENT="1")
    for key, value in fields.items():
        if value is not None and value != "":
            etree.SubElement(element, key).text = _xml_text(str(value))
    return element


# Characters XML 1.0 cannot carry (control characters but tab, newline, carriage return).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    """``text`` as XML 1.0 can carry it: a control character becomes a space."""
    return _NOT_XML.sub(" ", text)


def _amount(value: Decimal) -> str:
    return format(value, "f")


def _quantity(value: Decimal) -> str:
    # SAP writes quantities with the three decimals of its quantity fields.
    return f"{value:.3f}"


def _sap_unit(orders: OrdersSettings, unit: str) -> str:
    return orders.units.get(unit.lower(), unit.upper()[:3])


def orders05(
    crm: Crm, conn: Connection, actor: Actor, order_id: int, system: str, now: datetime
) -> bytes:
    """The ORDERS05 XML of order ``order_id`` as ``actor`` may see it; :class:`NotFound` when it
    may not, :class:`ConflictError` when the customer has no SAP customer number in ``system``."""
    if "sfa" not in crm.host.loaded:
        raise NotFound(f"no order {order_id} (the sfa plugin is not loaded)")
    from crmkit_sfa.erp import visible_order

    order = visible_order(crm, conn, actor, order_id)
    party = seen_party(crm.host, conn, actor, order.party_id)
    numbers = [
        e.external_id
        for e in external_ids_of(conn, order.party_id)
        if e.system == external_system(system)
    ]
    if not numbers:
        raise ConflictError(
            f"the customer of order {order.number} has no SAP customer number in system {system}"
        )
    orders: OrdersSettings = crm.settings_of["erp_sap"].orders
    root = etree.Element("ORDERS05")
    block = etree.SubElement(root, "IDOC", BEGIN="1")
    _segment(
        block,
        "EDI_DC40",
        TABNAM="EDI_DC40",
        DOCNUM=docnum_of(order.id),
        DIRECT="2",
        IDOCTYP="ORDERS05",
        MESTYP="ORDERS",
        SNDPOR=SENDER,
        SNDPRT="LS",
        SNDPRN=SENDER,
        RCVPRT="LS",
        RCVPRN=system,
        CREDAT=now.strftime("%Y%m%d"),
        CRETIM=now.strftime("%H%M%S"),
        SERIAL=now.strftime("%Y%m%d%H%M%S"),
    )
    _segment(block, "E1EDK01", CURCY=order.currency, BELNR=order.number)
    for qualifier, value in (
        ("012", orders.sales_order_type),
        ("008", orders.sales_organization),
        ("007", orders.distribution_channel),
        ("006", orders.organization_division),
    ):
        _segment(block, "E1EDK14", QUALF=qualifier, ORGID=value)
    _segment(block, "E1EDK03", IDDAT="012", DATUM=order.placed_at.strftime("%Y%m%d"))
    wanted = [line.requested_date for line in order.lines if line.requested_date]
    if wanted:
        _segment(block, "E1EDK03", IDDAT="002", DATUM=min(wanted).strftime("%Y%m%d"))
    address = party.addresses[0] if party.addresses else None
    street = " ".join(p for p in (address.street, address.street_number) if p) if address else ""
    _segment(
        block,
        "E1EDKA1",
        PARVW="AG",
        PARTN=internal_number(numbers[0]),
        NAME1=party.display_name[:35],
        STRAS=street[:35],
        ORT01=(address.city or "")[:35] if address else "",
        PSTLZ=(address.postcode or "")[:10] if address else "",
        LAND1=(address.country or "") if address else "",
    )
    _segment(
        block, "E1EDK02", QUALF="001", BELNR=order.number, DATUM=order.placed_at.strftime("%Y%m%d")
    )
    for line in order.lines:
        item = _segment(
            block,
            "E1EDP01",
            POSEX=f"{line.position * 10:06d}",
            MENGE=_quantity(line.quantity),
            MENEE=_sap_unit(orders, line.unit),
            VPREI=_amount(line.unit_price),
            NETWR=_amount(line.net),
        )
        _segment(item, "E1EDP19", QUALF="002", IDTNR=line.product_code, KTEXT=line.description[:40])
        if line.requested_date:
            _segment(
                item,
                "E1EDP20",
                WMENG=_quantity(line.quantity),
                EDATU=line.requested_date.strftime("%Y%m%d"),
            )
    _segment(block, "E1EDS01", SUMID="001", SUMME=len(order.lines))
    _segment(block, "E1EDS01", SUMID="002", SUMME=_amount(order.total_net), SUNIT=order.currency)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
