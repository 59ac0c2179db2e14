"""STAR 5 BODs (OAGIS 9 envelopes): ``ProcessSalesLead`` and ``ProcessRepairOrder`` in, the
acknowledgement BOD out (``STAR_FACTS.md``).

STAR publishes no sample under a licence we may ship, so the nouns are read by the
element names the public samples use, wherever they sit below the noun: a DMS that
nests them one level deeper or shallower is still understood. A BOD inside a SOAP
envelope (STAR Web Services) is taken out of it first.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import Element, SubElement, register_namespace, tostring

from attrs import evolve, frozen

from crmkit import ValidationError
from crmkit_dms.formats.adf import AdfLead, AdfVehicle, parse_date
from crmkit_dms.formats.safe_xml import local_name, read_xml
from crmkit_dms.routing.model import OUTCOMES

STAR_NS = "http://www.starstandard.org/STAR/5"
OAGIS_NS = "http://www.openapplications.org/oagis/9"
NOUNS = ("SalesLead", "RepairOrder")
LEAD_REFERENCE = "crmkit-"
"""How our exported leads are numbered (``crmkit-<assignment id>``): a DMS quoting one reports on it."""

register_namespace("", STAR_NS)
register_namespace("oagis", OAGIS_NS)


@frozen
class Bod:
    """A STAR BOD as received: its verb and noun, its envelope, and the noun's elements."""

    verb: str
    noun: str
    release: str
    bod_id: str
    sender: str | None
    dealer: str | None
    created_at: datetime | None
    nouns: tuple[Element, ...]


def _walk(element: Element) -> Iterator[Element]:
    yield from element.iter()


def _first(element: Element, *names: str) -> str | None:
    for found in _walk(element):
        if local_name(found) in names:
            text = " ".join("".join(found.itertext()).split())
            if text:
                return text[:2000]
    return None


def _all(element: Element, name: str) -> list[Element]:
    return [found for found in _walk(element) if local_name(found) == name]


def _bod_root(root: Element) -> Element:
    """The BOD itself: the root, or the payload of a SOAP envelope."""
    if local_name(root) != "Envelope":
        return root
    for found in _walk(root):
        if local_name(found).startswith(
            ("Process", "Acknowledge", "Confirm", "Sync", "Show", "Get")
        ) and local_name(found) not in ("ProcessMessage", "ProcessMessageResponse"):
            return found
    raise ValidationError("body", "the SOAP envelope carries no BOD")


def parse_bod(body: bytes, *, max_bytes: int = 1_000_000) -> Bod:
    """The BOD of ``body``; ValidationError(``body``) when it is no STAR 5 BOD we take."""
    root = _bod_root(read_xml(body, field="body", max_bytes=max_bytes))
    name = local_name(root)
    verb, noun = next(((name[: -len(n)], n) for n in NOUNS if name.endswith(n)), (name, ""))
    if verb != "Process" or not noun:
        raise ValidationError(
            "body", f"<{name}> is not a BOD this CRM takes (ProcessSalesLead, ProcessRepairOrder)"
        )
    area = next((e for e in root if local_name(e) == "ApplicationArea"), None)
    if area is None:
        raise ValidationError("body", "the BOD has no ApplicationArea")
    bod_id = _first(area, "BODID")
    if not bod_id:
        raise ValidationError("body", "the ApplicationArea has no BODID")
    nouns = tuple(e for e in _walk(root) if local_name(e) == noun)
    if not nouns:
        raise ValidationError("body", f"the BOD has no <{noun}>")
    return Bod(
        verb=verb,
        noun=noun,
        release=root.get("releaseID") or "",
        bod_id=bod_id[:45],
        sender=_first(area, "SenderNameCode", "CreatorNameCode"),
        dealer=_first(area, "DealerNumberID"),
        created_at=parse_date(_first(area, "CreationDateTime")),
        nouns=nouns,
    )


def _year(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and len(text) == 4 else None


def sales_lead(noun: Element, position: int) -> AdfLead:
    """A ``SalesLead`` as the lead intake takes it (the same shape an ADF prospect has)."""
    emails = tuple(
        t
        for t in (_first(e, "URIID", "ChannelURIID") for e in _all(noun, "URICommunication"))
        if t and "@" in t
    )
    phones = tuple(
        (t, "voice")
        for t in (_first(e, "CompleteNumber") for e in _all(noun, "TelephoneCommunication"))
        if t
    )
    vehicles = tuple(
        AdfVehicle(
            status="used"
            if (_first(v, "VehicleStockCode", "NewUsedCode") or "").lower().startswith("u")
            else "new",
            year=_year(_first(v, "ModelYear")),
            make=_first(v, "MakeString", "Make"),
            model=_first(v, "Model", "ModelDescription"),
            vin=_first(v, "VehicleID", "VIN"),
            trim=_first(v, "TrimCode"),
        )
        for v in _all(noun, "Vehicle")
    )
    lead = AdfLead(
        position=position,
        lead_id=_first(noun, "DocumentID"),
        request_date=parse_date(_first(noun, "LeadCreationDateTime", "DocumentDateTime")),
        first_name=_first(noun, "GivenName"),
        last_name=_first(noun, "FamilyName"),
        organisation_name=_first(noun, "CompanyName"),
        emails=emails,
        phones=phones,
        street=_first(noun, "LineOne"),
        city=_first(noun, "CityName"),
        postcode=_first(noun, "Postcode", "PostalCode"),
        country=_first(noun, "CountryID"),
        comments=_first(noun, "LeadComments", "Comments"),
        vehicles=vehicles,
    )
    if not (emails or phones or lead.street or lead.postcode):
        return evolve(
            lead, refused="the lead has no e-mail address, phone number or postal address"
        )
    return lead


def outcome_of(noun: Element) -> tuple[str, int, str | None] | None:
    """(outcome, assignment id, reason) when the SalesLead reports on a lead we sent, else None."""
    reference = _first(noun, "DocumentID") or ""
    status = (_first(noun, "LeadStatusCode", "SalesLeadStatusCode") or "").lower()
    number = reference.removeprefix(LEAD_REFERENCE)
    if not reference.startswith(LEAD_REFERENCE) or not number.isdigit() or status not in OUTCOMES:
        return None
    return status, int(number), _first(noun, "LeadStatusReasonText", "ReasonText")


def _money(text: str | None) -> str | None:
    try:
        return None if text is None else str(Decimal(text))
    except InvalidOperation:
        return None


_PAYERS = {"w": "warranty", "warranty": "warranty", "i": "internal", "internal": "internal"}


def _payer(code: str | None) -> str:
    """Who pays a job: warranty and internal as the DMS says (``W``, ``I``), else the customer."""
    return _PAYERS.get((code or "").lower(), "customer")


def repair_order(noun: Element, bod: Bod) -> dict[str, Any]:
    """A ``RepairOrder`` as the vehicles part records it (``record_repair_order``)."""
    ro_number = _first(noun, "RepairOrderNumberString", "DocumentID")
    if not ro_number:
        raise ValidationError("RepairOrder.DocumentID", "the repair order has no number")
    lines = [
        {
            "op_code": _first(job, "OperationID", "JobNumberString"),
            "description": _first(job, "OperationName", "JobDescription", "Description"),
            "labour": _money(_first(job, "LaborAmount", "LaborTotalAmount")),
            "parts": _money(_first(job, "PartsAmount", "PartsTotalAmount")),
            "payer": _payer(_first(job, "PaymentMethodCode", "PayTypeCode")),
        }
        for job in _all(noun, "Job")
    ]
    return {
        "ro_number": ro_number,
        "vin": _first(noun, "VehicleID", "VIN"),
        "make": _first(noun, "MakeString"),
        "model": _first(noun, "Model"),
        "model_year": _year(_first(noun, "ModelYear")),
        "mileage": _first(noun, "InDistanceMeasure", "DistanceMeasure", "Odometer"),
        "opened_at": parse_date(_first(noun, "OpenDateTime", "RepairOrderOpenedDate"))
        or bod.created_at,
        "closed_at": parse_date(_first(noun, "CloseDateTime", "RepairOrderCompletedDate")),
        "total": _money(_first(noun, "TotalAmount", "GrandTotalAmount")),
        "currency": _first(noun, "CurrencyCode"),
        "customer": {
            "first_name": _first(noun, "GivenName"),
            "last_name": _first(noun, "FamilyName"),
            "emails": [
                t for t in (_first(e, "URIID") for e in _all(noun, "URICommunication")) if t
            ],
            "phones": [
                t
                for t in (_first(e, "CompleteNumber") for e in _all(noun, "TelephoneCommunication"))
                if t
            ],
        },
        "lines": lines,
        "dealer": bod.dealer,
    }


def acknowledgement(bod: Bod, *, accepted: list[str], refused: list[tuple[str, str]]) -> bytes:
    """``Acknowledge<Noun>`` naming each noun taken (``accepted``: their ids) and refused (id, reason)."""
    root = Element(f"{{{STAR_NS}}}Acknowledge{bod.noun}", releaseID=bod.release or "5.4.4")
    _envelope(root, bod)
    area = SubElement(root, f"{{{STAR_NS}}}Acknowledge{bod.noun}DataArea")
    acknowledge = SubElement(area, f"{{{STAR_NS}}}Acknowledge")
    original = SubElement(acknowledge, f"{{{OAGIS_NS}}}OriginalApplicationArea")
    SubElement(original, f"{{{OAGIS_NS}}}BODID").text = bod.bod_id
    for document_id in accepted:
        _result(area, bod.noun, document_id, "Accepted", None)
    for document_id, reason in refused:
        _result(area, bod.noun, document_id, "Rejected", reason)
    return _document(root)


def confirm_bod(bod_id: str | None, release: str, reason: str) -> bytes:
    """``ConfirmBOD`` with the error: the whole BOD was refused (unreadable, unknown noun)."""
    root = Element(f"{{{STAR_NS}}}ConfirmBOD", releaseID=release or "5.4.4")
    _envelope(root, None)
    area = SubElement(root, f"{{{STAR_NS}}}ConfirmBODDataArea")
    SubElement(area, f"{{{OAGIS_NS}}}Confirm")
    outcome = SubElement(area, f"{{{OAGIS_NS}}}BOD")
    SubElement(outcome, f"{{{OAGIS_NS}}}OriginalApplicationArea").text = bod_id or ""
    failure = SubElement(outcome, f"{{{OAGIS_NS}}}BODFailureMessage")
    error = SubElement(failure, f"{{{OAGIS_NS}}}ErrorProcessMessage")
    SubElement(error, f"{{{OAGIS_NS}}}Description").text = reason
    return _document(root)


def _envelope(root: Element, bod: Bod | None) -> None:
    area = SubElement(root, f"{{{STAR_NS}}}ApplicationArea")
    sender = SubElement(area, f"{{{STAR_NS}}}Sender")
    SubElement(sender, f"{{{STAR_NS}}}CreatorNameCode").text = "crmkit"
    SubElement(sender, f"{{{STAR_NS}}}SenderNameCode").text = "crmkit"
    SubElement(area, f"{{{STAR_NS}}}CreationDateTime").text = datetime.now(UTC).isoformat(
        timespec="seconds"
    )
    SubElement(area, f"{{{STAR_NS}}}BODID").text = str(uuid.uuid4())
    if bod is not None and bod.sender:
        destination = SubElement(area, f"{{{STAR_NS}}}Destination")
        SubElement(destination, f"{{{STAR_NS}}}DestinationNameCode").text = bod.sender


def _result(area: Element, noun: str, document_id: str, code: str, reason: str | None) -> None:
    element = SubElement(area, f"{{{STAR_NS}}}{noun}")
    SubElement(element, f"{{{STAR_NS}}}DocumentID").text = document_id
    SubElement(element, f"{{{STAR_NS}}}AcknowledgementStatusCode").text = code
    if reason:
        SubElement(element, f"{{{STAR_NS}}}ReasonText").text = reason


def _document(root: Element) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(
        root, encoding="utf-8", xml_declaration=False
    )
