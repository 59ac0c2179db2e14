"""ORDERS05 IDocs from SAP: confirming our sfa orders, or logged on the sold-to party's timeline."""

from __future__ import annotations

from typing import Any

from crmkit_erp_sap.idoc.intake import import_inbox
from sqlalchemy import select

from crmkit import Crm, link_external_id, timeline
from crmkit.testing import add_party


def _erp(crm: Crm, order_id: int) -> tuple[str | None, str | None]:
    from crmkit_sfa import order_table

    with crm.read() as conn:
        row = conn.execute(
            select(order_table.c.erp_status, order_table.c.erp_reference).where(
                order_table.c.id == order_id
            )
        ).one()
    return row.erp_status, row.erp_reference


def _number(crm: Crm, order_id: int) -> str:
    from crmkit_sfa import order_table

    with crm.read() as conn:
        return str(
            conn.execute(
                select(order_table.c.number).where(order_table.c.id == order_id)
            ).scalar_one()
        )


def test_an_order_response_to_our_order_records_the_sap_number_on_it(
    idoc_sales: Any, idoc_files: Any
) -> None:
    crm = idoc_sales.crm
    order_id = idoc_sales.place(idoc_sales.customer("0000100042"))
    ours = _number(crm, order_id)
    idoc_files.drop(
        "ordrsp.xml",
        "ORDERS05",
        idoc_files.order("0000000000000301", "0000004711", our_reference=ours),
    )

    [taken] = import_inbox(crm)

    assert (taken.status, taken.applied) == ("imported", 1)
    assert _erp(crm, order_id) == ("confirmed", "0000004711")


def test_a_confirmation_after_delivery_leaves_the_order_delivered(
    idoc_sales: Any, idoc_files: Any
) -> None:
    from crmkit_sfa import order_table

    crm = idoc_sales.crm
    order_id = idoc_sales.place(idoc_sales.customer("0000100042"))
    with crm.transaction() as tx:
        tx.conn.execute(
            order_table.update()
            .where(order_table.c.id == order_id)
            .values(erp_status="delivered", erp_reference="0000004711")
        )
    idoc_files.drop(
        "late.xml",
        "ORDERS05",
        idoc_files.order("0000000000000302", our_reference=_number(crm, order_id)),
    )

    [taken] = import_inbox(crm)

    assert (taken.status, taken.unchanged) == ("imported", 1)
    assert _erp(crm, order_id) == ("delivered", "0000004711")


def test_an_order_sap_took_elsewhere_goes_on_the_sold_to_partys_timeline(
    idoc_crm: Crm, idoc_files: Any
) -> None:
    party_id = add_party(idoc_crm, "customer")
    with idoc_crm.transaction() as tx:
        link_external_id(tx, party_id, "sap.s4p", "0000100042")
    idoc_files.drop("orders.xml", "ORDERS05", idoc_files.order("0000000000000303", "0000004712"))

    [taken] = import_inbox(idoc_crm)
    idoc_files.drop(
        "orders-again.xml", "ORDERS05", idoc_files.order("0000000000000303", "0000004712") + " "
    )
    [again] = import_inbox(idoc_crm)

    assert (taken.status, again.status, again.unchanged) == ("imported", "imported", 1)
    with idoc_crm.read() as conn:
        items = [i for i in timeline(conn, party_id).items if i.source == "erp_sap"]
    assert len(items) == 1
    assert items[0].subject == "SAP sales order 0000004712 (ORDRSP)"
    assert items[0].summary is not None and "FL-200" in items[0].summary


def test_an_order_for_an_unknown_customer_is_refused_with_the_number(
    idoc_crm: Crm, idoc_files: Any, idoc_inbox: Any
) -> None:
    idoc_files.drop(
        "stranger.xml", "ORDERS05", idoc_files.order("0000000000000304", sold_to="0000999999")
    )

    [taken] = import_inbox(idoc_crm)

    assert (taken.status, taken.failed) == ("failed", 1)
    assert taken.error is not None and "0000999999" in taken.error
    assert (idoc_inbox / "failed" / "stranger.xml").exists()


def test_a_response_naming_another_customer_or_another_sap_order_is_refused(
    idoc_sales: Any, idoc_files: Any
) -> None:
    crm = idoc_sales.crm
    order_id = idoc_sales.place(idoc_sales.customer("0000100042"))
    idoc_sales.customer("0000100250", last_name="Other")
    ours = _number(crm, order_id)
    idoc_files.drop(
        "a_ordrsp.xml",
        "ORDERS05",
        idoc_files.order("0000000000000401", "0000004711", our_reference=ours),
        idoc_files.order(
            "0000000000000402", "0000009999", our_reference=ours, sold_to="0000100250"
        ),
        idoc_files.order("0000000000000403", "0000009999", our_reference=ours),
    )

    [taken] = import_inbox(crm)

    assert (taken.status, taken.applied, taken.failed) == ("partial", 1, 2)
    assert _erp(crm, order_id) == ("confirmed", "0000004711")
