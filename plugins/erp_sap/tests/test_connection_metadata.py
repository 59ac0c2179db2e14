"""Reading the real API_BUSINESS_PARTNER metadata and converting rows by it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time

import pytest
from crmkit_erp_sap.connection import BadValue, SapSession, read_metadata
from crmkit_erp_sap.connection.settings import SystemSettings
from crmkit_erp_sap.testing import SapServer, samples_dir


@pytest.fixture(scope="module")
def edmx() -> bytes:
    return (samples_dir() / "API_BUSINESS_PARTNER.edmx").read_bytes()


def test_the_real_metadata_describes_partners_addresses_and_customers(edmx: bytes) -> None:
    metadata = read_metadata(edmx)

    assert len(metadata.entity_sets) == 36
    partner = metadata.of_set("A_BusinessPartner")
    assert partner.keys == ("BusinessPartner",)
    assert partner.properties["BusinessPartner"].max_length == 10
    assert partner.properties["LastChangeTime"].edm_type == "Edm.Time"
    assert partner.navigations["to_BusinessPartnerAddress"] == (
        "A_BusinessPartnerAddressType",
        True,
    )
    assert partner.navigations["to_Customer"] == ("A_CustomerType", False)
    assert metadata.of_set("A_CustomerSalesArea").keys == (
        "Customer",
        "SalesOrganization",
        "DistributionChannel",
        "Division",
    )


def test_a_real_sap_entity_converts_by_its_metadata(edmx: bytes) -> None:
    row = json.loads(
        (
            samples_dir() / "A_BusinessPartner_1003764_expand_to_BusinessPartnerAddress.json"
        ).read_text()
    )["d"]

    partner = read_metadata(edmx).convert("A_BusinessPartnerType", row)

    assert partner["CreationDate"] == date(2018, 2, 12)
    assert partner["CreationTime"] == time(17, 49, 5)
    assert partner["BusinessPartnerIsBlocked"] is False
    assert partner["YY1_AddrLastCheckedBy_bus"] == ""  # an extension field, kept as sent
    assert "__metadata" not in partner and partner["to_BuPaIdentification"] is None
    address = partner["to_BusinessPartnerAddress"][0]
    assert address["ValidityStartDate"] == datetime(2018, 2, 12, tzinfo=UTC)
    assert address["CityName"] == row["to_BusinessPartnerAddress"]["results"][0]["CityName"]


def test_a_value_that_breaks_its_type_or_length_names_the_property(edmx: bytes) -> None:
    metadata = read_metadata(edmx)

    with pytest.raises(BadValue) as raised:
        metadata.convert("A_BusinessPartnerType", {"LastChangeDate": "/Date(yesterday)/"})
    assert raised.value.property == "LastChangeDate"
    with pytest.raises(BadValue, match="longer than 3"):
        metadata.convert("A_BusinessPartnerAddressType", {"Country": "GERMANY"})
    with pytest.raises(BadValue, match="not a collection"):
        metadata.convert(
            "A_BusinessPartnerType", {"to_BusinessPartnerAddress": {"results": "none"}}
        )


def test_only_the_properties_asked_for_are_converted(edmx: bytes) -> None:
    row = {"BusinessPartner": "1", "CreationDate": "/Date(broken)/"}

    assert read_metadata(edmx).convert("A_BusinessPartnerType", row, only=("BusinessPartner",)) == {
        "BusinessPartner": "1"
    }


def test_the_metadata_the_server_sends_is_the_real_document(sap: SapServer, edmx: bytes) -> None:
    with SapSession("S4P", SystemSettings(**sap.system_settings())) as session:
        assert session.metadata("API_BUSINESS_PARTNER") == edmx


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<edmx:Edmx xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx"><edmx:DataServices>
<Schema xmlns="http://schemas.microsoft.com/ado/2008/09/edm" Namespace="&lol3;"/>
</edmx:DataServices></edmx:Edmx>"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<edmx:Edmx xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx"><edmx:DataServices>
<Schema xmlns="http://schemas.microsoft.com/ado/2008/09/edm" Namespace="&secret;"/>
</edmx:DataServices></edmx:Edmx>"""


@pytest.mark.parametrize("document", [BOMB, EXTERNAL], ids=["entity-bomb", "external-entity"])
def test_a_metadata_document_declaring_entities_is_refused_unexpanded(document: bytes) -> None:
    with pytest.raises(ValueError, match="not a metadata document") as raised:
        read_metadata(document)

    assert "lol" * 10 not in str(raised.value) and "root:" not in str(raised.value)


def test_a_document_that_is_no_metadata_is_refused() -> None:
    with pytest.raises(ValueError, match="not a metadata document"):
        read_metadata(b"<html><body>Logon</body></html>")
    with pytest.raises(ValueError, match="not a metadata document"):
        read_metadata(b"<edmx:Edmx")
