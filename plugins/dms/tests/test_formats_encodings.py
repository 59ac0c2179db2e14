"""ADF documents in the encodings XML allows: UTF-16 and UTF-32 (told by their byte order
mark or first bytes) are read like UTF-8 and ISO-8859-1, and kept readable in the log."""

from __future__ import annotations

import pytest
from crmkit_dms.formats.safe_xml import read_xml
from crmkit_dms.formats.tables import document
from sqlalchemy import select

from crmkit import Crm, ValidationError, get_party
from crmkit.testing import http_client

from .test_formats_routes import BERLIN, crm, partner_id, prospect, signed

__all__ = ["crm", "partner_id"]


def adf_in(encoding: str) -> bytes:
    text = (
        f'<?xml version="1.0" encoding="{encoding}"?><adf>'
        + prospect("Jürgen Größe", BERLIN)
        + "</adf>"
    )
    return text.encode(encoding)


@pytest.mark.parametrize("encoding", ["UTF-16", "UTF-16-LE", "UTF-16-BE", "UTF-32"])
def test_a_utf16_or_utf32_document_is_taken_with_its_umlauts(
    crm: Crm, partner_id: int, encoding: str
) -> None:
    body = adf_in(encoding)
    answer = http_client(crm).post("/p/dms/public/adf", content=body, headers=signed(body))
    assert answer.status_code == 200, answer.text
    result = answer.json()["results"][0]
    assert result["outcome"] == "created" and result["partner_id"] == partner_id
    with crm.read() as conn:
        party = get_party(conn, result["party_id"])
        kept = conn.execute(select(document.c.body)).scalar_one()
    assert (party.first_name, party.last_name) == ("Jürgen", "Größe")
    assert "Jürgen" in kept and "\x00" not in kept


def test_a_document_not_in_its_declared_encoding_is_refused_naming_it() -> None:
    body = '<?xml version="1.0" encoding="UTF-8"?><adf>Größe</adf>'.encode("latin-1")
    with pytest.raises(ValidationError, match="not valid utf-8 text"):
        read_xml(body, field="body", max_bytes=10_000)
