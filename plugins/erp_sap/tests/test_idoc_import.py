"""Taking in DEBMAS files from the watched inbox: parties, each file and IDoc once, done/failed."""

from __future__ import annotations

import shutil
from typing import Any

from crmkit_erp_sap.idoc.intake import folders_of, import_file, import_inbox
from crmkit_erp_sap.idoc.tables import idoc_file
from crmkit_erp_sap.partners.tables import partner
from sqlalchemy import func, select

from crmkit import SYSTEM, Crm, find_by_external_id, party_table
from crmkit.testing import invoke

SAP = "sap.s4p"


def _parties(crm: Crm) -> int:
    with crm.read() as conn:
        return int(conn.execute(select(func.count()).select_from(party_table)).scalar_one())


def _files(crm: Crm) -> int:
    with crm.read() as conn:
        return int(conn.execute(select(func.count()).select_from(idoc_file)).scalar_one())


def test_debmas_customer_becomes_a_party_linked_by_its_sap_number(
    idoc_crm: Crm, idoc_files: Any, idoc_inbox: Any
) -> None:
    idoc_files.drop("debmas_1.xml", "DEBMAS07", idoc_files.customer("0000000000000101"))

    [taken] = import_inbox(idoc_crm)

    assert (taken.status, taken.message_type, taken.docnum) == (
        "imported",
        "DEBMAS",
        "0000000000000101",
    )
    assert (taken.idocs, taken.applied, taken.failed) == (1, 1, 0)
    with idoc_crm.read() as conn:
        party = find_by_external_id(conn, SAP, "100042")
    assert party is not None
    assert party.kind == "organisation"
    assert party.organisation_name == "Nordlicht Logistik GmbH"
    assert (party.addresses[0].city, party.addresses[0].country) == ("Hamburg", "DE")
    assert not (idoc_inbox / "debmas_1.xml").exists()
    assert (idoc_inbox / "done" / "debmas_1.xml").exists()


def test_person_customer_is_a_person_with_first_and_last_name(
    idoc_crm: Crm, idoc_files: Any
) -> None:
    idoc_files.drop(
        "p.xml",
        "DEBMAS07",
        idoc_files.customer(
            "0000000000000102", "0000200001", title="Frau", name="Weber", name2="Anna"
        ),
    )

    import_inbox(idoc_crm)

    with idoc_crm.read() as conn:
        party = find_by_external_id(conn, SAP, "200001")
    assert party is not None
    assert (party.kind, party.first_name, party.last_name) == ("person", "Anna", "Weber")


def test_the_same_file_dropped_again_is_only_moved(
    idoc_crm: Crm, idoc_files: Any, idoc_inbox: Any
) -> None:
    path = idoc_files.drop("a.xml", "DEBMAS07", idoc_files.customer("0000000000000103"))
    copy = idoc_inbox.parent / "copy.xml"
    shutil.copy(path, copy)
    [first] = import_inbox(idoc_crm)
    parties = _parties(idoc_crm)
    shutil.copy(copy, idoc_inbox / "a.xml")

    [again] = import_inbox(idoc_crm)

    assert again.id == first.id
    assert (_parties(idoc_crm), _files(idoc_crm)) == (parties, 1)
    assert sorted(p.name for p in (idoc_inbox / "done").iterdir()) == ["a.1.xml", "a.xml"]


def test_a_crash_between_commit_and_move_does_not_import_twice(
    idoc_crm: Crm, idoc_files: Any, idoc_inbox: Any
) -> None:
    path = idoc_files.drop("b.xml", "DEBMAS07", idoc_files.customer("0000000000000104"))
    # Committed, then the process died before moving the file: it is still in the inbox.
    import_file(idoc_crm, path, None)
    parties = _parties(idoc_crm)

    [seen] = import_inbox(idoc_crm)

    assert seen.status == "imported"
    assert (_parties(idoc_crm), _files(idoc_crm)) == (parties, 1)
    assert (idoc_inbox / "done" / "b.xml").exists()


def test_an_idoc_sent_again_in_another_file_is_not_applied_twice(
    idoc_crm: Crm, idoc_files: Any
) -> None:
    idoc_files.drop("c1.xml", "DEBMAS07", idoc_files.customer("0000000000000105"))
    import_inbox(idoc_crm)
    # The same DOCNUM with a changed name: SAP resent an IDoc; the CRM keeps what it applied.
    idoc_files.drop(
        "c2.xml", "DEBMAS07", idoc_files.customer("0000000000000105", name="Renamed GmbH")
    )

    [second] = import_inbox(idoc_crm)

    assert (second.status, second.applied, second.unchanged) == ("imported", 0, 1)
    with idoc_crm.read() as conn:
        party = find_by_external_id(conn, SAP, "100042")
    assert party is not None and party.organisation_name == "Nordlicht Logistik GmbH"


def test_a_refused_customer_is_reported_and_the_others_are_taken_in(
    idoc_crm: Crm, idoc_files: Any, idoc_inbox: Any
) -> None:
    idoc_files.drop(
        "mixed.xml",
        "DEBMAS07",
        idoc_files.customer("0000000000000106", "0000300001"),
        idoc_files.customer("0000000000000107", "", name="No Number AG"),
        idoc_files.customer("0000000000000108", "0000300003", name="Elsewhere Ltd"),
    )

    [taken] = import_inbox(idoc_crm)

    assert (taken.status, taken.applied, taken.failed) == ("partial", 2, 1)
    assert taken.error is not None and "0000000000000107" in taken.error
    assert (idoc_inbox / "failed" / "mixed.xml").exists()
    with idoc_crm.read() as conn:
        assert find_by_external_id(conn, SAP, "300001") is not None
        assert find_by_external_id(conn, SAP, "300003") is not None


def test_nothing_is_taken_in_while_no_inbox_is_set(crm: Crm) -> None:
    assert folders_of(crm) is None
    assert import_inbox(crm) == []
    assert "no IDoc file waiting" in invoke(crm, "erp_sap", "idoc", "import").output


def test_import_command_takes_in_named_files_and_leaves_them_where_they_are(
    idoc_crm: Crm, idoc_files: Any, tmp_path: Any
) -> None:
    good = tmp_path / "good.xml"
    good.write_text(
        f"<DEBMAS07>{idoc_files.customer('0000000000000109')}</DEBMAS07>", encoding="utf-8"
    )
    bad = tmp_path / "bad.xml"
    bad.write_text("<DEBMAS07><IDOC BEGIN='1'>", encoding="utf-8")

    result = invoke(idoc_crm, "erp_sap", "idoc", "import", str(good), str(bad))

    assert result.exit_code == 1
    assert "good.xml: imported (DEBMAS; 1 applied, 0 unchanged, 0 failed)" in result.output
    assert "bad.xml: failed" in result.output and "not well-formed XML" in result.output
    assert good.exists() and bad.exists()


def test_a_file_dropped_again_is_reported_under_its_own_name_as_seen_before(
    idoc_crm: Crm, idoc_files: Any, idoc_inbox: Any
) -> None:
    first = idoc_files.drop("a_debmas.xml", "DEBMAS07", idoc_files.customer("0000000000000111"))
    content = first.read_bytes()
    invoke(idoc_crm, "erp_sap", "idoc", "import")
    idoc_files.drop_bytes("g_again.xml", content)

    result = invoke(idoc_crm, "erp_sap", "idoc", "import")

    assert result.exit_code == 0, result.output
    assert "g_again.xml: already taken in as file 1 (a_debmas.xml), not applied again" in (
        result.output
    )
    assert (idoc_inbox / "done" / "g_again.xml").exists()


def test_a_customer_deleted_in_sap_is_kept_and_marked_blocked(
    idoc_crm: Crm, idoc_files: Any
) -> None:
    idoc_files.drop("v1.xml", "DEBMAS07", idoc_files.customer("0000000000000110", "0000400001"))
    import_inbox(idoc_crm)
    idoc_files.drop(
        "v2.xml", "DEBMAS07", idoc_files.customer("0000000000000111", "0000400001", msgfn="003")
    )

    [deleted] = import_inbox(idoc_crm)

    assert (deleted.status, deleted.applied) == ("imported", 1)
    with idoc_crm.read() as conn:
        assert find_by_external_id(conn, SAP, "400001") is not None
        blocked = conn.execute(
            select(partner.c.blocked).where(partner.c.business_partner == "400001")
        ).scalar_one()
    assert blocked is True


def test_a_customer_in_sap_internal_form_is_the_partner_pulled_over_odata(
    idoc_crm: Crm, idoc_files: Any
) -> None:
    from crmkit_erp_sap.partners.apply import apply_partners
    from crmkit_erp_sap.partners.record import PartnerRecord

    with idoc_crm.transaction(SYSTEM) as tx:
        [pulled] = apply_partners(
            tx, [PartnerRecord("S4P", "1000040", "person", last_name="Becker")]
        )
    idoc_files.drop("m_pad.xml", "DEBMAS07", idoc_files.customer("0000000000000120", "0001000040"))

    [taken] = import_inbox(idoc_crm)

    assert (taken.status, taken.applied) == ("imported", 1)
    with idoc_crm.read() as conn:
        party = find_by_external_id(conn, SAP, "1000040")
        assert find_by_external_id(conn, SAP, "0001000040") is None
    assert party is not None and party.id == pulled.party_id
