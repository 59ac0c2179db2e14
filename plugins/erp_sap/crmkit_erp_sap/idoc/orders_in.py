"""ORDERS05 IDocs SAP sends us (ORDERS, ORDRSP, ORDCHG): onto our sfa order, or a party's timeline.

An IDoc whose customer purchase order (E1EDK02 qualifier 001) is the number of one of our
sfa orders confirms it: SAP's order number (E1EDK01 BELNR, else E1EDK02 qualifier 002) is
recorded through sfa, which only moves a status forward. Any other order is one SAP took
from elsewhere: it goes on the timeline of the sold-to party (E1EDKA1 AG), found by its SAP
customer number among the parties' external ids.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select

from crmkit import (
    Interaction,
    Party,
    RecordRef,
    Transaction,
    ValidationError,
    find_by_external_id,
    log_interaction,
    utcnow,
)
from crmkit_erp_sap.idoc.debmas import created_at
from crmkit_erp_sap.idoc.document import Idoc, Segment
from crmkit_erp_sap.partners.record import external_system, sap_number

ORDER_MESSAGES = frozenset({"ORDERS", "ORDRSP", "ORDCHG"})
CONFIRMED = "confirmed"
_LATER = ("delivered", "invoiced")
Result = Literal["applied", "unchanged"]


def is_orders(idoc: Idoc) -> bool:
    if idoc.message_type:
        return idoc.message_type in ORDER_MESSAGES
    return idoc.idoc_type.startswith("ORDERS")


def _reference(header: Segment, qualifier: str) -> str:
    for ref in header.each("E1EDK02"):
        if ref.get("QUALF") == qualifier:
            return ref.get("BELNR")
    return ""


def sap_order_number(idoc: Idoc) -> str:
    """SAP's number of the order; :class:`ValidationError` when the IDoc carries none."""
    header = idoc.segments.first("E1EDK01")
    number = (header.get("BELNR") if header else "") or _reference(idoc.segments, "002")
    if not number:
        raise ValidationError("E1EDK01.BELNR", "the IDoc carries no SAP order number")
    return number


def take_order(tx: Transaction, idoc: Idoc, system: str) -> tuple[Result, str]:
    """Apply an inbound ORDERS05 IDoc in ``tx``; what it did and SAP's order number."""
    number = sap_order_number(idoc)
    ours = _reference(idoc.segments, "001")
    order_id = _sfa_order_id(tx, ours) if ours else None
    if order_id is not None:
        return _confirm(tx, order_id, number, _sold_to(idoc), system), number
    _log_on_timeline(tx, idoc, system, number)
    return "applied", number


def _sfa_order_id(tx: Transaction, number: str) -> int | None:
    if "sfa" not in tx.hooks.loaded:
        return None
    from crmkit_sfa import order_table

    found = tx.conn.execute(
        select(order_table.c.id).where(order_table.c.number == number)
    ).scalar_one_or_none()
    return None if found is None else int(found)


def _confirm(tx: Transaction, order_id: int, sap_number: str, sold_to: str, system: str) -> Result:
    """Record SAP's number on our order, once its sold-to party is the order's party and
    SAP has not named another order for it before (that one stays: refused per IDoc)."""
    from crmkit_sfa import order_table
    from crmkit_sfa.erp import update_erp_status

    row = tx.conn.execute(
        select(
            order_table.c.number,
            order_table.c.party_id,
            order_table.c.erp_status,
            order_table.c.erp_reference,
        ).where(order_table.c.id == order_id)
    ).one()
    party = _party_of(tx, system, sold_to) if sold_to else None
    if party is None or party.id != row.party_id:
        raise ValidationError(
            "E1EDKA1.PARTN",
            f"the sold-to party {sold_to or '(none)'} is not the customer of order {row.number}",
        )
    if row.erp_reference and row.erp_reference != sap_number:
        raise ValidationError(
            "E1EDK01.BELNR",
            f"order {row.number} is SAP order {row.erp_reference} already, not {sap_number}",
        )
    if row.erp_status in _LATER or (
        row.erp_status == CONFIRMED and row.erp_reference == sap_number
    ):
        return "unchanged"
    update_erp_status(tx, order_id, {"erp_status": CONFIRMED, "erp_reference": sap_number})
    return "applied"


def _party_of(tx: Transaction, system: str, number: str) -> Party | None:
    """The party of SAP customer ``number``: as OData sends it (no leading zeros), else as
    written (a link made with the internal form)."""
    external = external_system(system)
    found = find_by_external_id(tx.conn, external, sap_number(number))
    return found or find_by_external_id(tx.conn, external, number)


def _sold_to(idoc: Idoc) -> str:
    for partner in idoc.segments.each("E1EDKA1"):
        if partner.get("PARVW") == "AG":
            return partner.get("PARTN")
    return ""


def _log_on_timeline(tx: Transaction, idoc: Idoc, system: str, sap_number: str) -> None:
    customer = _sold_to(idoc)
    if not customer:
        raise ValidationError("E1EDKA1.PARTN", "the IDoc names no sold-to party (PARVW AG)")
    party = _party_of(tx, system, customer)
    if party is None or party.id is None:
        raise ValidationError(
            "E1EDKA1.PARTN", f"no party has SAP customer number {customer} in system {system}"
        )
    log_interaction(
        tx,
        Interaction(
            party_id=party.id,
            channel="erp",
            direction="inbound",
            occurred_at=created_at(idoc) or utcnow(),
            subject=f"SAP sales order {sap_number} ({idoc.message_type or 'ORDERS'})",
            summary=_summary(idoc),
            source="erp_sap",
            refs=(RecordRef("sap_sales_order", sap_number),),
        ),
    )


def _summary(idoc: Idoc) -> str:
    header = idoc.segments.first("E1EDK01")
    currency = header.get("CURCY") if header else ""
    lines = []
    for item in idoc.segments.each("E1EDP01"):
        material = next(
            (i.get("IDTNR") for i in item.each("E1EDP19") if i.get("IDTNR")), "(no material)"
        )
        amount = f" {item.get('NETWR')} {currency}".rstrip() if item.get("NETWR") else ""
        lines.append(
            f"{item.get('POSEX')}: {item.get('MENGE')} {item.get('MENEE')} {material}{amount}"
        )
    return "\n".join(lines) or "no items"
