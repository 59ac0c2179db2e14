"""The public ADF and STAR routes, the document log and the ADF export, over HTTP."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest
from crmkit_dms.formats.tables import document
from crmkit_dms.routing.service import accept
from crmkit_dms.routing.tables import assignment
from crmkit_dms.vehicles.tables import repair_order
from sqlalchemy import func, select

from crmkit import SYSTEM, Crm, party_table
from crmkit.testing import add_user, http_client

from .conftest import CrmMaker, add_dealer

SECRET = "leadco-secret"
DMS_SECRET = "dealer-dms-secret"
SUED_SECRET = "sued-dms-secret"


@pytest.fixture
def crm(make_dms: CrmMaker) -> Crm:
    sources = {"leadco": SECRET, "nord-dms": DMS_SECRET, "sued-dms": SUED_SECRET}
    return make_dms(
        dms={
            "formats": {
                "sources": sources,
                "partner_sources": {"nord-dms": "NORD", "sued-dms": "SUED"},
            }
        }
    )


@pytest.fixture
def partner_id(crm: Crm) -> int:
    return add_dealer(crm)


def signed(body: bytes, source: str = "leadco", secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "X-Dms-Source": source,
        "X-Hub-Signature-256": f"sha256={digest}",
        "Content-Type": "application/xml",
    }


def prospect(
    name: str, contact: str, *, make: str = "Volkswagen", vin: str = "", lead_id: str = ""
) -> str:
    ident = f'<id sequence="1" source="leadco">{lead_id}</id>' if lead_id else ""
    return (
        f"<prospect>{ident}<requestdate>2026-12-06T09:30:00+01:00</requestdate>"
        f'<vehicle interest="buy" status="new"><year>2026</year><make>{make}</make><model>Golf</model>'
        f"{f'<vin>{vin}</vin>' if vin else ''}</vehicle>"
        f'<customer><contact><name part="first">{name.split()[0]}</name><name part="last">{name.split()[1]}</name>'
        f"{contact}</contact></customer></prospect>"
    )


BERLIN = "<email>anna.berg@berg-mail.de</email><address><street>Hauptstr. 5</street><city>Berlin</city><postalcode>10115</postalcode><country>DE</country></address>"
MUNICH = "<phone>+49 89 2865 1234</phone><address><street>Marienplatz 1</street><city>München</city><postalcode>80331</postalcode><country>DE</country></address>"


def adf(*prospects: str) -> bytes:
    return f'<?xml version="1.0"?><?adf version="1.0"?><adf>{"".join(prospects)}</adf>'.encode()


def count(crm: Crm, table: Any) -> int:
    with crm.read() as conn:
        found: int = conn.execute(select(func.count()).select_from(table)).scalar_one()
        return found


def test_a_document_of_three_leads_one_broken_takes_two_and_says_which(
    crm: Crm, partner_id: int
) -> None:
    body = adf(
        prospect("Anna Berg", BERLIN, lead_id="L-1"),
        prospect("Rita Roth", ""),
        prospect("Max Huber", MUNICH),
    )
    answer = http_client(crm).post("/p/dms/public/adf", content=body, headers=signed(body))
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert (found["status"], found["taken"], found["refused"], found["repeated"]) == (
        "partial",
        2,
        1,
        False,
    )
    berlin, broken, munich = found["results"]
    assert broken == {
        "position": 2,
        "lead_id": None,
        "refused": "the contact has no e-mail address, phone number or postal address",
    }
    assert berlin["outcome"] == "created" and berlin["partner_id"] == partner_id
    # No dealer covers Munich: the lead waits in the fallback queue, it is not lost.
    assert munich["outcome"] == "created" and munich["partner_id"] is None
    with crm.read() as conn:
        states = dict(conn.execute(select(assignment.c.party_id, assignment.c.state)).all())
    assert states == {berlin["party_id"]: "offered", munich["party_id"]: "unrouted"}


def test_the_same_document_again_is_one_lead(crm: Crm, partner_id: int) -> None:
    body = adf(prospect("Anna Berg", BERLIN, lead_id="L-1"))
    client = http_client(crm)
    first = client.post("/p/dms/public/adf", content=body, headers=signed(body)).json()
    again = client.post("/p/dms/public/adf", content=body, headers=signed(body)).json()
    assert again["repeated"] is True and again["results"] == first["results"]
    # Sent again in another document (a resend by its ADF id): not taken twice either.
    other = adf(prospect("Anna Berg", BERLIN.replace("anna.berg", "a.berg"), lead_id="L-1"))
    resent = client.post("/p/dms/public/adf", content=other, headers=signed(other)).json()
    assert resent["results"][0]["outcome"] == "repeated"
    assert (count(crm, party_table), count(crm, assignment), count(crm, document)) == (2, 1, 2)


@pytest.mark.parametrize("vin", ["1M8GDM9AXKP04278I", "0M8GDM9AXKP042788", "WVWZZZ"])
def test_an_invalid_vin_keeps_the_lead_and_names_the_problem(
    crm: Crm, partner_id: int, vin: str
) -> None:
    body = adf(prospect("Anna Berg", BERLIN, vin=vin))
    found = http_client(crm).post("/p/dms/public/adf", content=body, headers=signed(body)).json()
    (result,) = found["results"]
    assert result["outcome"] == "created"
    assert any(p.startswith("vin") for p in result["problems"])
    with crm.read() as conn:
        vehicle = conn.execute(select(assignment.c.vehicle)).scalar_one()
    assert "vin" not in vehicle and vehicle["make"] == "Volkswagen"


BOMB = b"""<?xml version="1.0"?><!DOCTYPE adf [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;">]><adf><prospect><customer><contact><name>&b;</name><email>x@y.de</email></contact></customer></prospect></adf>"""


@pytest.mark.parametrize(
    "body",
    [
        BOMB,
        b"<adf><prospect>",
        adf(prospect("Rita Roth", "")),
        b"<adf>" + b" " * 1_000_001 + b"</adf>",
    ],
    ids=["bomb", "malformed", "no-usable-lead", "oversized"],
)
def test_a_bad_document_is_refused_and_changes_nothing(crm: Crm, body: bytes) -> None:
    answer = http_client(crm).post("/p/dms/public/adf", content=body, headers=signed(body))
    assert answer.status_code in (413, 422), answer.text
    if answer.status_code == 422:
        assert answer.json()["field"] == "body"
    assert (count(crm, party_table), count(crm, document)) == (0, 0)


def test_an_unsigned_or_wrongly_signed_document_is_refused(crm: Crm) -> None:
    body = adf(prospect("Anna Berg", BERLIN))
    client = http_client(crm)
    assert client.post("/p/dms/public/adf", content=body).status_code == 403
    wrong = signed(body, secret="guess")
    assert client.post("/p/dms/public/adf", content=body, headers=wrong).status_code == 403
    stranger = signed(body, source="nobody")
    assert client.post("/p/dms/public/adf", content=body, headers=stranger).status_code == 403
    assert count(crm, party_table) == 0


def test_no_source_configured_is_the_operators_503(make_dms: CrmMaker) -> None:
    crm = make_dms()
    body = adf(prospect("Anna Berg", BERLIN))
    assert (
        http_client(crm).post("/p/dms/public/adf", content=body, headers=signed(body)).status_code
        == 503
    )


def test_the_document_log_and_the_adf_export(crm: Crm, partner_id: int, client_as: Any) -> None:
    body = adf(prospect("Anna Berg", BERLIN, vin="WVWZZZAUZMW000001"))
    taken = http_client(crm).post("/p/dms/public/adf", content=body, headers=signed(body)).json()
    admin = client_as(add_user(crm, "ada", "admin"))
    listed = admin.get("/p/dms/documents").json()
    assert [(d["id"], d["status"], d["source"]) for d in listed] == [
        (taken["document_id"], "taken", "leadco")
    ]
    one = admin.get(f"/p/dms/documents/{taken['document_id']}").json()
    assert one["results"] == taken["results"] and "Anna" in one["body"]
    assert admin.get("/p/dms/documents/999").status_code == 404
    party_id, assignment_id = taken["results"][0]["party_id"], taken["results"][0]["assignment_id"]
    exported = admin.get(f"/p/dms/leads/{party_id}/adf.xml")
    assert exported.headers["content-type"].startswith("application/x-adf+xml")
    assert f'source="crmkit">crmkit-{assignment_id}</id>' in exported.text
    assert "<make>Volkswagen</make>" in exported.text and "anna.berg@berg-mail.de" in exported.text
    assert admin.get("/p/dms/leads/999999/adf.xml").status_code == 404
    sales = client_as(add_user(crm, "sal", "sales"))
    assert sales.get("/p/dms/documents").status_code == 403
    assert sales.get(f"/p/dms/leads/{party_id}/adf.xml").status_code == 403
    assert admin.get("/p/dms/documents?direction=sideways").json()["field"] == "direction"


STAR_NS = 'xmlns="http://www.starstandard.org/STAR/5" xmlns:oagis="http://www.openapplications.org/oagis/9"'


def star_bod(
    noun: str,
    inner: str,
    bod_id: str = "5f1d8a52-3c3e-4b51-9c1e-1a2b3c4d5e6f",
    dealer: str = "NORD",
) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Process{noun} {STAR_NS} releaseID="5.4.4">'
        "<ApplicationArea><Sender><CreatorNameCode>DMSCO</CreatorNameCode><SenderNameCode>DMSCO</SenderNameCode>"
        f"<DealerNumberID>{dealer}</DealerNumberID></Sender><CreationDateTime>2026-12-06T10:00:00Z</CreationDateTime>"
        f"<BODID>{bod_id}</BODID></ApplicationArea>"
        f"<Process{noun}DataArea><Process><oagis:ActionCriteria/></Process>{inner}</Process{noun}DataArea>"
        f"</Process{noun}>"
    ).encode()


SALES_LEAD = """<SalesLead><SalesLeadHeader><DocumentIdentificationGroup><DocumentIdentification>
<DocumentID>OEM-77</DocumentID></DocumentIdentification></DocumentIdentificationGroup>
<CustomerProspect><ProspectParty><SpecifiedPerson><GivenName>Lena</GivenName><FamilyName>Vogt</FamilyName>
<ResidenceAddress><LineOne>Invalidenstr. 3</LineOne><CityName>Berlin</CityName><CountryID>DE</CountryID><Postcode>10115</Postcode></ResidenceAddress>
<URICommunication><URIID>lena.vogt@vogt-mail.de</URIID></URICommunication></SpecifiedPerson></ProspectParty></CustomerProspect>
</SalesLeadHeader><SalesLeadDetail><SalesLeadLineItem><Vehicle><Model>Octavia</Model><ModelYear>2026</ModelYear>
<MakeString>Skoda</MakeString></Vehicle></SalesLeadLineItem></SalesLeadDetail></SalesLead>"""


def post_star(crm: Crm, body: bytes, source: str = "nord-dms", secret: str = DMS_SECRET) -> Any:
    return http_client(crm).post(
        "/p/dms/public/star", content=body, headers=signed(body, source, secret)
    )


def test_a_star_sales_lead_is_taken_routed_and_acknowledged(crm: Crm, partner_id: int) -> None:
    answer = post_star(crm, star_bod("SalesLead", SALES_LEAD))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/xml")
    assert "<AcknowledgeSalesLead" in answer.text and 'releaseID="5.4.4"' in answer.text
    assert "<oagis:BODID>5f1d8a52-3c3e-4b51-9c1e-1a2b3c4d5e6f</oagis:BODID>" in answer.text
    assert "<DocumentID>OEM-77</DocumentID><AcknowledgementStatusCode>Accepted" in answer.text
    with crm.read() as conn:
        row = conn.execute(select(assignment)).one()
    assert (row.partner_id, row.source, row.brand) == (
        partner_id,
        "star",
        "Skoda",
    ) or row.brand == "skoda"


def sale_report(assignment_id: int) -> str:
    return (
        f"<SalesLead><SalesLeadHeader><DocumentIdentificationGroup><DocumentIdentification><DocumentID>crmkit-{assignment_id}"
        "</DocumentID></DocumentIdentification></DocumentIdentificationGroup><LeadStatusCode>Sold</LeadStatusCode>"
        "</SalesLeadHeader></SalesLead>"
    )


def test_a_dms_reports_a_sale_of_a_lead_it_was_sent(crm: Crm, partner_id: int) -> None:
    body = adf(prospect("Anna Berg", BERLIN))
    taken = http_client(crm).post("/p/dms/public/adf", content=body, headers=signed(body)).json()
    assignment_id = taken["results"][0]["assignment_id"]
    with crm.transaction(SYSTEM) as tx:
        accept(tx, assignment_id)
    answer = post_star(
        crm,
        star_bod(
            "SalesLead", sale_report(assignment_id), bod_id="0c9e5b7a-1111-4c2d-9e8f-000000000001"
        ),
    )
    assert "AcknowledgementStatusCode>Accepted" in answer.text, answer.text
    with crm.read() as conn:
        assert conn.execute(select(assignment.c.state)).scalar_one() == "sold"


def test_only_the_dms_of_the_leads_partner_reports_its_outcome(crm: Crm, partner_id: int) -> None:
    add_dealer(crm, "SUED")
    body = adf(prospect("Anna Berg", BERLIN))
    taken = http_client(crm).post("/p/dms/public/adf", content=body, headers=signed(body)).json()
    assignment_id = taken["results"][0]["assignment_id"]
    assert taken["results"][0]["partner_id"] == partner_id  # NORD: SUED was made after
    for n, (source, secret, dealer, quoted) in enumerate(
        (
            ("sued-dms", SUED_SECRET, "SUED", assignment_id),  # another dealer's DMS
            ("leadco", SECRET, "NORD", assignment_id),  # a source that is no dealer's DMS
            ("nord-dms", DMS_SECRET, "SUED", assignment_id),  # the BOD names another dealer
            ("nord-dms", DMS_SECRET, "NORD", 999999),  # no such lead: the same answer
        ),
        start=1,
    ):
        bod = star_bod(
            "SalesLead", sale_report(quoted), f"0c9e5b7a-2222-4c2d-9e8f-00000000000{n}", dealer
        )
        answer = post_star(crm, bod, source, secret)
        assert answer.status_code == 200, answer.text
        assert "AcknowledgementStatusCode>Rejected" in answer.text, (source, answer.text)
        assert f"lead crmkit-{quoted} was not sent to this sender's dealer" in answer.text
    with crm.read() as conn:
        row = conn.execute(select(assignment)).one()
        assert (row.state, row.version, row.first_contact_at) == ("offered", 1, None)
    answer = post_star(crm, star_bod("SalesLead", sale_report(assignment_id)))
    assert "AcknowledgementStatusCode>Accepted" in answer.text, answer.text
    with crm.read() as conn:
        assert conn.execute(select(assignment.c.state)).scalar_one() == "sold"


REPAIR_ORDER = """<RepairOrder><RepairOrderHeader><DocumentIdentificationGroup><DocumentIdentification>
<DocumentID>RO-5521</DocumentID></DocumentIdentification></DocumentIdentificationGroup></RepairOrderHeader>
<Vehicle><VehicleID>WVWZZZAUZMW000001</VehicleID><MakeString>Volkswagen</MakeString><Model>Golf</Model></Vehicle>
<Job><OperationID>OIL01</OperationID><OperationName>Oil service</OperationName><LaborAmount>89.00</LaborAmount>
<PartsAmount>45.50</PartsAmount></Job></RepairOrder>"""


def test_a_star_repair_order_is_recorded_once(crm: Crm, partner_id: int) -> None:
    body = star_bod("RepairOrder", REPAIR_ORDER)
    first = post_star(crm, body)
    assert (
        "<AcknowledgeRepairOrder" in first.text
        and "RO-5521</DocumentID><AcknowledgementStatusCode>Accepted" in first.text
    )
    again = post_star(crm, body)
    assert again.status_code == 200 and "<AcknowledgeRepairOrder" in again.text
    assert count(crm, repair_order) == 1


def test_a_bod_that_is_no_bod_is_answered_with_a_confirm_bod_error(crm: Crm) -> None:
    answer = post_star(
        crm,
        b'<GetCustomerInformation releaseID="5.7.3"><ApplicationArea/></GetCustomerInformation>',
    )
    assert answer.status_code == 422
    assert "<ConfirmBOD" in answer.text and "is not a BOD this CRM takes" in answer.text
    assert count(crm, document) == 0
