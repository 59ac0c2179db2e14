"""ADF 1.0 reading and writing: the deviations real producers send, and unsafe documents."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from crmkit_dms.formats.adf import AdfLead, AdfVehicle, parse_adf, parse_date, to_adf

from crmkit import ValidationError

SAMPLE = (
    Path(__file__).resolve().parents[4]
    / "shared"
    / "data"
    / "adf"
    / "wikipedia_auto-lead_data_format_example.adf.xml"
)
needs_sample = pytest.mark.skipif(not SAMPLE.is_file(), reason="shared/data is not here")

# Every deviation of ADF_FACTS.md in one document: the PI before the declaration, spelled
# in capitals without '=', unquoted attributes, phone types outside the enum, an empty
# vehicle, several vehicles, vendor without vendorname, a provider, odd dates, a
# non-standard element, CDATA comments, full and first/last names together.
DEVIANT = b"""<?ADF VERSION "1.0"?>
<?XML VERSION "1.0"?>
<adf>
 <prospect status=resend>
  <id sequence=1 source="AutoTrader">AT-1001</id>
  <requestdate>2008-06-25T8:47:50</requestdate>
  <leadtype>internet</leadtype>
  <vehicle interest=buy status=used>
   <year>2021</year><make>Volkswagen</make><model>Golf</model>
   <vin>WVWZZZAUZMW000001</vin>
   <odometer status="original" units="km">32,500</odometer>
   <price type="asking" currency="EUR">18990</price>
  </vehicle>
  <vehicle interest="trade-in"><year/><make/><model/></vehicle>
  <vehicle/>
  <customer>
   <contact>
    <name part="full">Anna Berg</name>
    <name part="first">Anna</name>
    <name part="last">Berg</name>
    <phone type="mobile">+49 151 2345 6789</phone>
    <phone type="home">030 1234567</phone>
    <address type="home"><street line="1">Hauptstr. 5</street><city>Berlin</city>
     <postalcode>10115</postalcode><country>DE</country></address>
   </contact>
   <comments><![CDATA[Call <after> 5pm]]></comments>
  </customer>
  <vendor><contact><name part="full">Autohaus Nord</name></contact></vendor>
  <provider><name part="full">AutoTrader</name></provider>
 </prospect>
 <prospect>
  <requestdate>2025-09-22T18:07</requestdate>
  <vehicle><year>2024</year><make>Skoda</make><model>Octavia</model></vehicle>
  <customer><contact><name part="full">Jan Novak</name><email>jan.novak@firma.cz</email></contact></customer>
 </prospect>
 <prospect>
  <vehicle><make>Seat</make></vehicle>
  <customer><contact><name part="full">No Way To Reach</name></contact></customer>
 </prospect>
</adf>
"""


@needs_sample
def test_the_wikipedia_example_is_read_with_its_odd_offset() -> None:
    (lead,) = parse_adf(SAMPLE.read_bytes())
    assert (lead.first_name, lead.last_name) == ("First", "Last")
    assert lead.emails == ("emailaddress",)
    assert lead.phones == (("323-223-3322", "voice"),)
    # -08:0 is read as -08:00
    assert lead.request_date == datetime(2000, 3, 30, 23, 30, 20, tzinfo=UTC)
    assert lead.vendor_name == "Dealer Name"
    assert lead.wanted == AdfVehicle(year=2008, make="Make", model="Model")
    assert lead.refused is None


def test_a_document_of_every_known_deviation_is_read() -> None:
    first, second, third = parse_adf(DEVIANT)
    assert first.lead_id == "AT-1001" and first.id_source == "AutoTrader"
    assert first.status == "resend"
    assert first.request_date == datetime(2008, 6, 25, 8, 47, 50, tzinfo=UTC)
    assert (first.first_name, first.last_name) == ("Anna", "Berg")
    assert first.phones == (("+49 151 2345 6789", "cellphone"), ("030 1234567", "voice"))
    assert (first.street, first.city, first.postcode, first.country) == (
        "Hauptstr. 5",
        "Berlin",
        "10115",
        "DE",
    )
    assert first.comments == "Call <after> 5pm"
    assert first.vendor_name == "Autohaus Nord" and first.provider_name == "AutoTrader"
    assert [v.interest for v in first.vehicles] == ["buy", "trade-in", "buy"]
    wanted = first.wanted
    assert wanted is not None
    assert (wanted.status, wanted.make, wanted.odometer, wanted.price, wanted.currency) == (
        "used",
        "Volkswagen",
        32500,
        "18990",
        "EUR",
    )
    assert first.vehicles[1] == AdfVehicle(interest="trade-in")
    assert second.request_date == datetime(2025, 9, 22, 18, 7, tzinfo=UTC)
    assert (second.first_name, second.last_name) == ("Jan", "Novak")
    assert third.refused == "the contact has no e-mail address, phone number or postal address"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2000-03-30T15:30:20-08:0", datetime(2000, 3, 30, 23, 30, 20, tzinfo=UTC)),
        ("2000-03-30T15:30:20+0530", datetime(2000, 3, 30, 10, 0, 20, tzinfo=UTC)),
        ("2000-03-30T15:30:20Z", datetime(2000, 3, 30, 15, 30, 20, tzinfo=UTC)),
        ("2000-03-30", datetime(2000, 3, 30, tzinfo=UTC)),
        ("yesterday", None),
        ("2000-13-40T10:00", None),
    ],
)
def test_dates_as_producers_write_them(text: str, expected: datetime | None) -> None:
    assert parse_date(text) == expected


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<adf><prospect><customer><contact><name>&lol3;</name><email>a@b.de</email></contact></customer></prospect></adf>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE adf [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<adf><prospect><customer><contact><name>&xxe;</name><email>a@b.de</email></contact></customer></prospect></adf>"""


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (BOMB, "a DTD or entity declaration is not accepted"),
        (EXTERNAL, "a DTD or entity declaration is not accepted"),
        (b"<adf><prospect></adf>", "not well-formed"),
        (b"<lead><prospect/></lead>", "the root element is <lead>, not <adf>"),
        (b"<adf></adf>", "the document has no <prospect>"),
        (b"<adf>" + b"<prospect/>" * 11 + b"</adf>", "more than 10 prospects"),
        (b"<adf>" + b" " * 2000 + b"</adf>", "more than 1500 bytes"),
        (b'<?xml version="1.0" encoding="no-such"?><adf/>', "not valid no-such text"),
    ],
)
def test_unsafe_or_unreadable_documents_are_refused(body: bytes, reason: str) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_adf(body, max_bytes=1500, max_leads=10)
    assert refused.value.field == "body"
    assert reason in refused.value.reason


def test_a_lead_written_as_adf_reads_back_the_same() -> None:
    lead = AdfLead(
        position=1,
        lead_id="crmkit-7",
        id_source="crmkit",
        request_date=datetime(2026, 12, 6, 10, 0, tzinfo=UTC),
        first_name="Anna",
        last_name="Berg & Söhne",
        emails=("anna@berg.de",),
        phones=(("+4930123456", "voice"),),
        street="Hauptstr. 5",
        city="Berlin",
        postcode="10115",
        country="DE",
        vehicles=(
            AdfVehicle(
                status="used",
                year=2021,
                make="VW",
                model="Golf",
                odometer=32500,
                odometer_units="km",
            ),
        ),
        vendor_name="Autohaus Nord",
        provider_name="crmkit",
    )
    written = to_adf(lead)
    assert written.startswith(
        b'<?xml version="1.0" encoding="UTF-8"?>\n<?adf version="1.0"?>\n<adf>'
    )
    assert parse_adf(written) == [lead]
