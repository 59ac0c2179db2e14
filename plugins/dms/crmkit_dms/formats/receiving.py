"""Taking in a received ADF or STAR document: each lead through the kernel's intake with its
vehicle of interest, then routed; each repair order to the vehicles part; outcomes to routing.

One document is one transaction, and each lead or order a savepoint in it: a broken lead is
refused with its reason while the others are taken. The document is logged
(``dms_document``) in the same transaction, unique by source and the body's hash, so the
same document sent again (a retry, a resend) is answered from the log and changes nothing.
A lead whose ADF ``<id>`` the source sent before is not taken in again either.
"""

from __future__ import annotations

import hashlib
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from crmkit import (
    Crm,
    CrmError,
    NotFound,
    Transaction,
    ValidationError,
    find_by_external_id,
    get_party,
    link_external_id,
    take_in_prospect,
    utcnow,
)
from crmkit_dms.formats import adf, star
from crmkit_dms.formats.safe_xml import encoding_of
from crmkit_dms.formats.settings import FormatsSettings
from crmkit_dms.formats.tables import document, document_lead
from crmkit_dms.partners.model import get_partner
from crmkit_dms.partners.tables import partner
from crmkit_dms.routing.records import load
from crmkit_dms.routing.service import report_outcome, route_lead
from crmkit_dms.vehicles.service import record_repair_order, vehicle_of_interest

DOCUMENT_ENTITY = "dms.document"


@frozen
class Received:
    """What became of a document: its log row, and whether it had been received before."""

    document_id: int
    format: str
    status: str
    taken: int
    refused: int
    results: list[dict[str, Any]]
    repeated: bool = False
    bod: star.Bod | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "document_id": self.document_id,
            "format": self.format,
            "status": self.status,
            "taken": self.taken,
            "refused": self.refused,
            "repeated": self.repeated,
            "results": self.results,
        }


def settings_of(crm: Crm) -> FormatsSettings:
    found: FormatsSettings = crm.settings_of["dms"].formats
    return found


def sniff(body: bytes) -> str:
    """``adf`` or ``star``: which format a body is, by its root element (as lead routers do)."""
    head = body[:4000].lower()
    return "star" if b"processsaleslead" in head or b"processrepairorder" in head else "adf"


def lead_data(lead: adf.AdfLead) -> dict[str, Any]:
    """The lead as the kernel's intake takes a prospect."""
    data: dict[str, Any] = {
        "emails": list(lead.emails),
        "phones": [number for number, _ in lead.phones],
    }
    for name in ("first_name", "last_name"):
        if getattr(lead, name):
            data[name] = getattr(lead, name)[:100]
    if lead.organisation_name and not (lead.first_name or lead.last_name):
        data.update(kind="organisation", organisation_name=lead.organisation_name[:200])
    address = {
        "street": lead.street,
        "city": lead.city,
        "postcode": lead.postcode,
        "region": lead.region,
        "country": lead.country,
    }
    if any(address.values()):
        data["addresses"] = [{k: v[:200] for k, v in address.items() if v}]
    return data


def _interest(lead: adf.AdfLead) -> tuple[dict[str, Any] | None, list[str]]:
    wanted = lead.wanted
    if wanted is None:
        return None, []
    fields = wanted.as_json()
    fields.pop("interest", None)
    fields.pop("odometer_units", None)
    found = vehicle_of_interest(fields, market=lead.country)
    return found.data or None, list(found.problems)


def lead_system(fmt: str, source: str) -> str:
    """The external-id system a source's lead ids live in (``dms.adf.<source>``)."""
    return f"dms.{fmt}.{source}"


def take_lead(tx: Transaction, lead: adf.AdfLead, *, fmt: str, source: str) -> dict[str, Any]:
    """Take one lead in and route it; what became of it (``party_id``, ``assignment_id``,
    ``outcome``, ``problems``), or ``refused`` with the reason. Raises nothing for bad data."""
    result: dict[str, Any] = {"position": lead.position, "lead_id": lead.lead_id}
    if lead.refused:
        return {**result, "refused": lead.refused}
    system = lead_system(fmt, source)
    if lead.lead_id and find_by_external_id(tx.conn, system, lead.lead_id[:200]) is not None:
        return {**result, "outcome": "repeated"}
    try:
        with tx.conn.begin_nested():
            taken = take_in_prospect(tx, lead_data(lead), source=system, vouched=False)
            if taken.party_id is None:
                codes = ", ".join(f.code for f in taken.findings if f.severity == "hard")
                return {**result, "refused": f"intake {taken.outcome}: {codes}".rstrip(": ")}
            if lead.lead_id:
                link_external_id(tx, taken.party_id, system, lead.lead_id[:200])
            interest, problems = _interest(lead)
            address = next(iter(get_party(tx.conn, taken.party_id).addresses), None)
            routed = route_lead(
                tx,
                taken.party_id,
                brand=lead.wanted.make if lead.wanted else None,
                country=address.country if address else None,
                postcode=address.postcode if address else None,
                vehicle=interest,
                source=fmt,
            )
    except CrmError as refused:
        return {**result, "refused": refused.message}
    return {
        **result,
        "outcome": taken.outcome,
        "party_id": taken.party_id,
        "assignment_id": routed.id,
        "partner_id": routed.partner_id,
        "problems": problems,
    }


def _check_reporter(
    tx: Transaction, bod: star.Bod, assignment_id: int, source: str, settings: FormatsSettings
) -> None:
    """Refuse an outcome unless ``source`` is the DMS of the partner the lead was offered to
    (``partner_sources``), and the BOD's ``DealerNumberID``, when given, names that partner.

    The report runs as the system, so the assignment id quoted in the message must not be
    trusted alone: any other sender could close a lead of another dealer. One reason for
    every refusal, so that nothing tells another dealer's lead exists.
    """
    refused = ValidationError(
        "SalesLead.DocumentID",
        f"lead {star.LEAD_REFERENCE}{assignment_id} was not sent to this sender's dealer",
    )
    code = settings.partner_sources.get(source)
    if code is None or (bod.dealer is not None and bod.dealer != code):
        raise refused
    try:
        found = load(tx.conn, assignment_id)
    except NotFound:
        raise refused from None
    offered_to = None if found.partner_id is None else get_partner(tx.conn, found.partner_id)
    if offered_to is None or offered_to.code != code:
        raise refused


def _take_noun(
    tx: Transaction,
    bod: star.Bod,
    position: int,
    noun: Any,
    source: str,
    settings: FormatsSettings,
) -> dict[str, Any]:
    if bod.noun == "RepairOrder":
        result: dict[str, Any] = {"position": position}
        try:
            with tx.conn.begin_nested():
                data = star.repair_order(noun, bod)
                result["lead_id"] = data["ro_number"]
                dealer = _repair_dealer(tx.conn, bod, source, settings)
                order = record_repair_order(tx, _order_data(data, dealer))
        except CrmError as refused:
            return {**result, "refused": refused.message}
        return {**result, "repair_order_id": order.id}
    reported = star.outcome_of(noun)
    if reported is None:
        return take_lead(tx, star.sales_lead(noun, position), fmt="star", source=source)
    outcome, assignment_id, reason = reported
    try:
        with tx.conn.begin_nested():
            _check_reporter(tx, bod, assignment_id, source, settings)
            assignment = report_outcome(tx, assignment_id, outcome, reason)
    except CrmError as refused:
        return {
            "position": position,
            "lead_id": f"{star.LEAD_REFERENCE}{assignment_id}",
            "refused": refused.message,
        }
    return {
        "position": position,
        "lead_id": f"{star.LEAD_REFERENCE}{assignment_id}",
        "outcome": assignment.state,
    }


def _repair_dealer(conn: Connection, bod: star.Bod, source: str, settings: FormatsSettings) -> int:
    """The partner a repair order is recorded for: the one whose DMS ``source`` is
    (``partner_sources``), when the BOD's ``DealerNumberID``, if given, names it too.

    Repair orders move a vehicle's odometer and service dates (campaign triggers, warranty
    facts), so a lead portal, or one dealer's DMS, must not write them in a dealer's name.
    """
    code = settings.partner_sources.get(source)
    if code is None:
        raise ValidationError(
            "DealerNumberID",
            "this sender is no dealer's DMS (partner_sources): it records no repair orders",
        )
    if bod.dealer and bod.dealer != code:
        raise ValidationError(
            "DealerNumberID", f"DealerNumberID {bod.dealer} is not this sender's dealer"
        )
    found: int | None = conn.execute(select(partner.c.id).where(partner.c.code == code)).scalar()
    if found is None:
        raise ValidationError("DealerNumberID", f"the sender's dealer {code} is no partner")
    return found


def _order_data(data: dict[str, Any], partner_id: int | None) -> dict[str, Any]:
    lines = [
        {k: v for k, v in line.items() if v is not None}
        for line in data["lines"]
        if line.get("description")
    ]
    order = {
        "vin": data["vin"],
        "ro_number": data["ro_number"],
        "make": data["make"],
        "model": data["model"],
        "model_year": data["model_year"],
        "opened_at": (data["opened_at"] or utcnow()).isoformat(),
        "closed_at": data["closed_at"] and data["closed_at"].isoformat(),
        "mileage": data["mileage"],
        "currency": data["currency"],
        "lines": lines,
        "source": "star",
        "partner_id": partner_id,
    }
    if not order["vin"]:
        raise ValidationError("RepairOrder.VehicleID", "the repair order names no vehicle (VIN)")
    return {k: v for k, v in order.items() if v is not None}


def _stored(conn: Connection, source: str, digest: str) -> Any:
    return conn.execute(
        select(document).where(
            document.c.source == source,
            document.c.direction == "in",
            document.c.document_hash == digest,
        )
    ).first()


def _of_row(row: Any, repeated: bool, bod: star.Bod | None = None) -> Received:
    return Received(
        document_id=row.id,
        format=row.format,
        status=row.status,
        taken=row.taken,
        refused=row.refused,
        results=row.results,
        repeated=repeated,
        bod=bod,
    )


def receive(tx: Transaction, body: bytes, *, source: str, fmt: str | None = None) -> Received:
    """Take in one document from ``source`` in ``tx`` (``fmt`` sniffed when None) and log it.

    ValidationError(``body``) when the document cannot be read at all, or none of its leads
    could be taken (the reasons listed): nothing is then stored. The same body from the same
    source again returns the first answer, ``repeated``.
    """
    settings = settings_of(tx.app)
    fmt = fmt or sniff(body)
    digest = hashlib.sha256(body).hexdigest()
    tx.hold(f"dms.document.{source}.{digest}")
    earlier = _stored(tx.conn, source, digest)
    if earlier is not None:
        return _of_row(earlier, repeated=True)
    results, bod = _take_all(tx, body, fmt=fmt, source=source, settings=settings)
    refused = sum(1 for r in results if "refused" in r)
    if refused == len(results) and bod is None:
        reasons = "; ".join(f"lead {r['position']}: {r['refused']}" for r in results)
        raise ValidationError("body", f"no lead of the document could be taken: {reasons}"[:2000])
    return _log(
        tx,
        body,
        fmt=fmt,
        source=source,
        digest=digest,
        counts=(len(results) - refused, refused),
        results=results,
        bod=bod,
        settings=settings,
    )


def _take_all(
    tx: Transaction, body: bytes, *, fmt: str, source: str, settings: FormatsSettings
) -> tuple[list[dict[str, Any]], star.Bod | None]:
    if fmt == "adf":
        leads = adf.parse_adf(
            body, max_bytes=settings.max_document_bytes, max_leads=settings.max_leads
        )
        return [take_lead(tx, lead, fmt="adf", source=source) for lead in leads], None
    bod = star.parse_bod(body, max_bytes=settings.max_document_bytes)
    if len(bod.nouns) > settings.max_leads:
        raise ValidationError("body", f"the BOD has more than {settings.max_leads} nouns")
    taken = [
        _take_noun(tx, bod, n, noun, source, settings) for n, noun in enumerate(bod.nouns, start=1)
    ]
    return taken, bod


def _log(
    tx: Transaction,
    body: bytes,
    *,
    fmt: str,
    source: str,
    digest: str,
    counts: tuple[int, int],
    results: list[dict[str, Any]],
    bod: star.Bod | None,
    settings: FormatsSettings,
) -> Received:
    taken, refused = counts
    status = "refused" if not taken else "partial" if refused else "taken"
    values = {
        "format": fmt,
        "direction": "in",
        "source": source,
        "document_hash": digest,
        "status": status,
        "taken": taken,
        "refused": refused,
        "results": results,
        "body": body[: settings.kept_bytes].decode(encoding_of(body), "replace"),
        "attempts": 0,
        "received_at": utcnow(),
    }
    inserted = insert(document).values(values).returning(document.c.id)
    document_id: int = tx.conn.execute(inserted).scalar_one()
    leads = [
        {"document_id": document_id, "party_id": r["party_id"], "position": r["position"]}
        for r in results
        if r.get("party_id")
    ]
    if leads:
        tx.conn.execute(insert(document_lead), leads)
    tx.emit(
        "dms.document_received",
        DOCUMENT_ENTITY,
        document_id,
        {
            "document_id": document_id,
            "format": fmt,
            "source": source,
            "taken": taken,
            "refused": refused,
        },
    )
    return Received(document_id, fmt, status, taken, refused, results, bod=bod)


def receive_in_own_transaction(
    crm: Crm, actor: Any, body: bytes, *, source: str, fmt: str | None = None
) -> Received:
    """:func:`receive` committed; a concurrent twin of the same document answers as repeated."""
    try:
        with crm.transaction(actor) as tx:
            return receive(tx, body, source=source, fmt=fmt)
    except IntegrityError:
        with crm.read() as conn:
            twin = _stored(conn, source, hashlib.sha256(body).hexdigest())
        if twin is None:
            raise
        return _of_row(twin, repeated=True)
