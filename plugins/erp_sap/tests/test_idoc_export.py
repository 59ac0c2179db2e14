"""An sfa order as an ORDERS05 IDoc: over HTTP and the CLI, in the layout of the facts file."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_erp_sap.idoc.document import read_idocs
from crmkit_erp_sap.idoc.files import list_files
from defusedxml.ElementTree import fromstring

from crmkit import SYSTEM, Crm
from crmkit.testing import add_user, invoke

from .conftest import CrmMaker, OrderDesk


@pytest.fixture
def crm(make_erp_sap: CrmMaker, idoc_inbox: Any) -> Crm:
    return make_erp_sap(
        {"idoc": {"inbox": str(idoc_inbox), "system": "S4P"}}, with_plugins=("sfa",)
    )


@pytest.fixture
def desk(crm: Crm) -> OrderDesk:
    return OrderDesk(
        crm, add_user(crm, "mia", "manager", team="north", territories=("DE-10",)), None, None
    )


def _texts(segment: Any) -> dict[str, str]:
    return {child.tag: child.text or "" for child in segment if child.get("SEGMENT") is None}


def test_an_order_exports_as_orders05_with_control_header_partner_and_items(
    desk: OrderDesk, client_as: Any
) -> None:
    order_id = desk.place(desk.customer("0000100042"), {"FL-200": "2", "PAL": "10"})

    response = client_as(desk.seller).get(f"/p/erp_sap/orders/{order_id}/orders05.xml")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    root = fromstring(response.content, forbid_dtd=True)
    assert root.tag == "ORDERS05"
    [block] = root.findall("IDOC")
    assert block.get("BEGIN") == "1"
    control = _texts(block.find("EDI_DC40"))
    assert control["DOCNUM"] == f"{order_id:016d}"
    assert (control["IDOCTYP"], control["MESTYP"], control["DIRECT"]) == ("ORDERS05", "ORDERS", "2")
    assert (
        control["RCVPRN"] == "S4P" and len(control["CREDAT"]) == 8 and len(control["CRETIM"]) == 6
    )
    header = _texts(block.find("E1EDK01"))
    assert header["CURCY"] == "EUR"
    org = {_texts(s)["QUALF"]: _texts(s)["ORGID"] for s in block.findall("E1EDK14")}
    assert org == {"012": "OR", "008": "1010", "007": "10", "006": "00"}
    sold_to = _texts(block.find("E1EDKA1"))
    assert (sold_to["PARVW"], sold_to["PARTN"]) == ("AG", "0000100042")
    reference = _texts(block.find("E1EDK02"))
    assert (reference["QUALF"], reference["BELNR"]) == ("001", header["BELNR"])
    items = block.findall("E1EDP01")
    assert [_texts(i)["POSEX"] for i in items] == ["000010", "000020"]
    assert [_texts(i.find("E1EDP19"))["IDTNR"] for i in items] == ["FL-200", "PAL"]
    assert [_texts(i)["MENGE"] for i in items] == ["2.000", "10.000"]
    totals = {_texts(s)["SUMID"]: _texts(s)["SUMME"] for s in block.findall("E1EDS01")}
    assert totals["001"] == "2"
    # What we write, we read back as the IDoc it is.
    basic_type, [doc] = read_idocs(response.content)
    assert (basic_type, doc.message_type, doc.docnum) == ("ORDERS05", "ORDERS", control["DOCNUM"])


def test_an_order_of_a_party_the_user_does_not_see_is_not_found(
    desk: OrderDesk, crm: Crm, client_as: Any
) -> None:
    order_id = desk.place(desk.customer("0000100042"))
    stranger = add_user(crm, "otto", "sales", team="west", territories=("FR-75",))

    response = client_as(stranger).get(f"/p/erp_sap/orders/{order_id}/orders05.xml")

    assert response.status_code == 404


def test_exporting_needs_the_export_permission(desk: OrderDesk, crm: Crm, client_as: Any) -> None:
    order_id = desk.place(desk.customer("0000100042"))
    agent = add_user(crm, "sam", "service", team="service")

    assert client_as(agent).get(f"/p/erp_sap/orders/{order_id}/orders05.xml").status_code == 403


def test_a_customer_without_a_sap_number_cannot_be_exported(
    desk: OrderDesk, client_as: Any
) -> None:
    order_id = desk.place(desk.customer(None))

    response = client_as(desk.seller).get(f"/p/erp_sap/orders/{order_id}/orders05.xml")

    assert response.status_code == 409
    assert "no SAP customer number in system S4P" in response.json()["detail"]


def test_export_command_writes_the_file(desk: OrderDesk, crm: Crm, tmp_path: Any) -> None:
    order_id = desk.place(desk.customer("0000100042"))
    out = tmp_path / "order.xml"

    result = invoke(crm, "erp_sap", "idoc", "export", "--order", str(order_id), "--out", str(out))

    assert result.exit_code == 0, result.output
    _, [doc] = read_idocs(out.read_bytes())
    assert doc.docnum == f"{order_id:016d}"
    with crm.transaction(SYSTEM) as tx:
        [written] = list_files(tx).items
    assert (written.direction, written.status, written.docnum) == ("out", "exported", doc.docnum)
    missing = invoke(crm, "erp_sap", "idoc", "export", "--order", "999999")
    assert missing.exit_code == 1 and "no order 999999" in missing.output


def test_a_control_character_xml_cannot_carry_is_written_as_a_space(
    desk: OrderDesk, client_as: Any
) -> None:
    order_id = desk.place(
        desk.customer("0000100042", organisation_name="Nord\x01licht", kind="organisation")
    )

    response = client_as(desk.seller).get(f"/p/erp_sap/orders/{order_id}/orders05.xml")

    assert response.status_code == 200, response.text
    [sold_to] = fromstring(response.content, forbid_dtd=True).iter("E1EDKA1")
    assert _texts(sold_to)["NAME1"] == "Nord licht"
