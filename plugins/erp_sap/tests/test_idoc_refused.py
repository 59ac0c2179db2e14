"""Files that are not IDocs we take in are refused whole, with the reason, and moved to failed/."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_erp_sap.idoc.intake import import_inbox
from sqlalchemy import func, select

from crmkit import Crm, party_table

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<DEBMAS07><IDOC BEGIN="1"><EDI_DC40 SEGMENT="1"><DOCNUM>1</DOCNUM><MESTYP>DEBMAS</MESTYP>
</EDI_DC40><E1KNA1M SEGMENT="1"><KUNNR>1</KUNNR><NAME1>&lol9;</NAME1></E1KNA1M></IDOC></DEBMAS07>
"""


def _external_entity(target: Any) -> bytes:
    return (
        f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY secret SYSTEM "file://{target}">]>'
        '<DEBMAS07><IDOC BEGIN="1"><EDI_DC40 SEGMENT="1"><DOCNUM>2</DOCNUM>'
        '<MESTYP>DEBMAS</MESTYP></EDI_DC40><E1KNA1M SEGMENT="1"><KUNNR>2</KUNNR>'
        "<NAME1>&secret;</NAME1></E1KNA1M></IDOC></DEBMAS07>"
    ).encode()


def _parties(crm: Crm) -> int:
    with crm.read() as conn:
        return int(conn.execute(select(func.count()).select_from(party_table)).scalar_one())


def _refused(crm: Crm, inbox: Any, name: str) -> str:
    before = _parties(crm)
    [taken] = import_inbox(crm)
    assert taken.status == "failed"
    assert (taken.applied, taken.unchanged) == (0, 0)
    assert _parties(crm) == before
    assert (inbox / "failed" / name).exists() and not (inbox / name).exists()
    assert taken.error is not None
    return taken.error


def test_an_xml_bomb_is_refused_unexpanded(idoc_crm: Crm, idoc_files: Any, idoc_inbox: Any) -> None:
    idoc_files.drop_bytes("bomb.xml", BOMB)
    assert "DOCTYPE is not accepted" in _refused(idoc_crm, idoc_inbox, "bomb.xml")


def test_an_external_entity_is_refused_and_never_read(
    idoc_crm: Crm, idoc_files: Any, idoc_inbox: Any, tmp_path: Any
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    idoc_files.drop_bytes("xxe.xml", _external_entity(secret))

    error = _refused(idoc_crm, idoc_inbox, "xxe.xml")

    assert "DOCTYPE is not accepted" in error
    assert "TOP-SECRET-VALUE" not in error


def test_a_truncated_file_is_refused(idoc_crm: Crm, idoc_files: Any, idoc_inbox: Any) -> None:
    whole = idoc_files.customer("0000000000000201")
    idoc_files.drop_bytes("cut.xml", f"<DEBMAS07>{whole}".encode()[:-40])
    assert "not well-formed XML" in _refused(idoc_crm, idoc_inbox, "cut.xml")


def test_an_unknown_message_type_is_refused(
    idoc_crm: Crm, idoc_files: Any, idoc_inbox: Any
) -> None:
    delivery = (
        '<IDOC BEGIN="1">'
        + idoc_files.control("0000000000000202", "DELVRY03", "DESADV")
        + '<E1EDL20 SEGMENT="1"><VBELN>80000001</VBELN></E1EDL20></IDOC>'
    )
    idoc_files.drop("desadv.xml", "DELVRY03", delivery)
    assert "unknown message type DESADV" in _refused(idoc_crm, idoc_inbox, "desadv.xml")


def test_the_message_type_decides_over_the_basic_type(
    idoc_crm: Crm, idoc_files: Any, idoc_inbox: Any
) -> None:
    customer = idoc_files.customer("0000000000000203").replace(
        "<MESTYP>DEBMAS</MESTYP>", "<MESTYP>DESADV</MESTYP>"
    )
    idoc_files.drop("i_desadv.xml", "DEBMAS07", customer)
    assert "unknown message type DESADV" in _refused(idoc_crm, idoc_inbox, "i_desadv.xml")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"<DEBMAS07/>", "no <IDOC>"),
        (b'<DEBMAS07><IDOC BEGIN="1"><E1KNA1M SEGMENT="1"/></IDOC></DEBMAS07>', "no EDI_DC40"),
        (
            b'<DEBMAS07><IDOC BEGIN="1"><EDI_DC40 SEGMENT="1"><MESTYP>DEBMAS</MESTYP>'
            b"</EDI_DC40></IDOC></DEBMAS07>",
            "has no DOCNUM of 1 to 16 characters",
        ),
    ],
)
def test_a_document_without_idoc_control_records_is_refused(
    idoc_crm: Crm, idoc_files: Any, idoc_inbox: Any, content: bytes, reason: str
) -> None:
    idoc_files.drop_bytes("odd.xml", content)
    assert reason in _refused(idoc_crm, idoc_inbox, "odd.xml")


def test_a_file_above_the_size_limit_is_refused_unread(
    make_erp_sap: Any, idoc_files: Any, idoc_inbox: Any
) -> None:
    crm = make_erp_sap({"idoc": {"inbox": str(idoc_inbox), "system": "S4P", "max_file_bytes": 100}})
    idoc_files.drop("big.xml", "DEBMAS07", idoc_files.customer("0000000000000203"))
    assert "larger than 100 bytes" in _refused(crm, idoc_inbox, "big.xml")


def test_a_refused_file_dropped_again_is_not_tried_again(
    idoc_crm: Crm, idoc_files: Any, idoc_inbox: Any
) -> None:
    idoc_files.drop_bytes("bomb.xml", BOMB)
    [first] = import_inbox(idoc_crm)
    idoc_files.drop_bytes("bomb.xml", BOMB)

    [again] = import_inbox(idoc_crm)

    assert again.id == first.id
    assert sorted(p.name for p in (idoc_inbox / "failed").iterdir()) == ["bomb.1.xml", "bomb.xml"]


def test_files_still_uploading_are_left_alone(idoc_crm: Crm, idoc_inbox: Any) -> None:
    (idoc_inbox / "upload.xml.tmp").write_text("<DEBMAS07>", encoding="utf-8")
    assert import_inbox(idoc_crm) == []
    assert (idoc_inbox / "upload.xml.tmp").exists()


def test_files_are_refused_while_no_sap_system_is_named(
    make_erp_sap: Any, idoc_files: Any, idoc_inbox: Any
) -> None:
    crm = make_erp_sap({"idoc": {"inbox": str(idoc_inbox)}})
    idoc_files.drop("nosys.xml", "DEBMAS07", idoc_files.customer("0000000000000204"))
    assert "name the SAP system" in _refused(crm, idoc_inbox, "nosys.xml")


def test_a_file_nested_thousands_deep_is_refused_and_the_next_file_taken_in(
    idoc_crm: Crm, idoc_files: Any, idoc_inbox: Any
) -> None:
    deep = 3000
    idoc_files.drop_bytes(
        "a_deep.xml",
        (
            '<?xml version="1.0"?><DEBMAS07><IDOC BEGIN="1"><EDI_DC40 SEGMENT="1">'
            "<DOCNUM>73000</DOCNUM><MESTYP>DEBMAS</MESTYP></EDI_DC40>"
            '<E1KNA1M SEGMENT="1"><KUNNR>73000</KUNNR>'
            + "<a>" * deep
            + "x"
            + "</a>" * deep
            + "</E1KNA1M></IDOC></DEBMAS07>"
        ).encode(),
    )
    idoc_files.drop("b_after.xml", "DEBMAS07", idoc_files.customer("0000000000000204"))

    deep_one, after = import_inbox(idoc_crm)

    assert deep_one.status == "failed" and "nested deeper" in (deep_one.error or "")
    assert (idoc_inbox / "failed" / "a_deep.xml").exists()
    assert after.status == "imported"
