"""The document log's pages, the import command, and what the log holds on a party."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from crmkit_dms.formats.tables import document, document_lead
from sqlalchemy import select

from crmkit import SYSTEM, Crm, erase_party, export_party, merge_parties
from crmkit.testing import add_user, http_client, invoke

from .conftest import CrmMaker, add_dealer
from .test_formats_routes import BERLIN, SECRET, adf, prospect, signed


@pytest.fixture
def crm(make_dms: CrmMaker) -> Crm:
    return make_dms(dms={"formats": {"sources": {"leadco": SECRET}}})


@pytest.fixture
def partner_id(crm: Crm) -> int:
    return add_dealer(crm)


def _taken(crm: Crm) -> dict[str, Any]:
    body = adf(prospect("Anna Berg", BERLIN), prospect("Rita Roth", ""))
    answer: dict[str, Any] = (
        http_client(crm).post("/p/dms/public/adf", content=body, headers=signed(body)).json()
    )
    return answer


def test_the_log_pages_show_each_lead_and_its_refusal(
    crm: Crm, partner_id: int, client_as: Any
) -> None:
    taken = _taken(crm)
    admin = client_as(add_user(crm, "ada", "admin"))
    listed = admin.get("/p/dms/page/documents")
    assert (
        listed.status_code == 200 and f"/p/dms/page/documents/{taken['document_id']}" in listed.text
    )
    one = admin.get(f"/p/dms/page/documents/{taken['document_id']}")
    assert "refused: the contact has no e-mail address" in one.text
    assert f"/parties/{taken['results'][0]['party_id']}" in one.text
    assert "&lt;adf&gt;" in one.text  # the body is shown escaped
    assert client_as(add_user(crm, "sal", "sales")).get("/p/dms/page/documents").status_code == 403


def test_the_import_command_takes_a_file_once(crm: Crm, partner_id: int, tmp_path: Path) -> None:
    path = tmp_path / "leads.adf.xml"
    path.write_bytes(adf(prospect("Anna Berg", BERLIN)))
    first = invoke(crm, "dms", "import", str(path), "--source", "autoportal")
    assert first.exit_code == 0 and '"taken": 1' in first.output
    again = invoke(crm, "dms", "import", str(path), "--source", "autoportal")
    assert '"repeated": true' in again.output
    path.write_bytes(b"<adf><prospect>")
    broken = invoke(crm, "dms", "import", str(path), "--source", "autoportal")
    assert broken.exit_code != 0 and "not well-formed" in broken.output


def test_merge_export_and_erasure_follow_the_lead(crm: Crm, partner_id: int) -> None:
    taken = _taken(crm)
    party_id = taken["results"][0]["party_id"]
    other = _other_lead(crm)
    with crm.transaction(SYSTEM) as tx:
        merge_parties(tx, party_id, other)
    with crm.read() as conn:
        assert conn.execute(select(document_lead.c.party_id)).scalars().all() == [
            party_id,
            party_id,
        ]
        exported = export_party(conn, crm.host, party_id)
    assert [d["document_id"] for d in exported["dms"]["documents"]] == [
        taken["document_id"],
        taken["document_id"] + 1,
    ]
    with crm.transaction(SYSTEM) as tx:
        erase_party(tx, party_id)
    with crm.read() as conn:
        assert conn.execute(select(document.c.body)).scalars().all() == ["", ""]
        assert conn.execute(select(document_lead)).all() == []


def _other_lead(crm: Crm) -> int:
    body = adf(prospect("Otto Berg", BERLIN.replace("anna.berg@berg-mail.de", "otto@berg-mail.de")))
    answer = http_client(crm).post("/p/dms/public/adf", content=body, headers=signed(body)).json()
    party_id: int = answer["results"][0]["party_id"]
    return party_id


def test_an_admin_imports_a_document_by_hand(crm: Crm, partner_id: int, client_as: Any) -> None:
    body = adf(prospect("Anna Berg", BERLIN))
    admin = client_as(add_user(crm, "ada", "admin"))
    taken = admin.post("/p/dms/documents?source=fair-2026", content=body)
    assert taken.status_code == 200 and taken.json()["taken"] == 1
    assert admin.post("/p/dms/documents?source=fair-2026", content=body).json()["repeated"] is True
    assert admin.post("/p/dms/documents?source=Fair!", content=body).json()["field"] == "source"
    assert (
        admin.post("/p/dms/documents?source=x&format=csv", content=body).json()["field"] == "format"
    )
    manager = client_as(add_user(crm, "max", "manager"))
    assert manager.post("/p/dms/documents?source=fair-2026", content=body).status_code == 403
