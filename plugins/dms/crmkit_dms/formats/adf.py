"""ADF 1.0 (Auto-lead Data Format): leads read from a document, and a lead written as one.

Reading is tolerant of what real producers send (``ADF_FACTS.md``: odd date offsets,
missing or empty elements, several vehicles, vendor and provider blocks, several
prospects, phone types outside the enum, unquoted attributes) and strict only where a
lead is unusable: a prospect with no e-mail address, phone number or postal address is
kept as refused, with its reason, while the others of the document go on.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from xml.etree.ElementTree import Element, SubElement, tostring

from attrs import asdict, evolve, frozen

from crmkit import ValidationError
from crmkit_dms.formats.safe_xml import local_name, read_xml

MAX_TEXT = 2000
"""Longest text kept from one element (comments); the rest is cut."""
INTERESTS = ("buy", "lease", "sell", "trade-in", "test-drive")
PHONE_TYPES = ("voice", "fax", "cellphone", "pager")
_PHONE_ALIASES = {"mobile": "cellphone", "cell": "cellphone", "home": "voice", "work": "voice"}
_DATE = re.compile(
    r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:[.,]\d+)?)?)?"
    r"\s*(Z|[+-]\d{1,2}(?::?\d{0,2})?)?\s*$",
    re.I,
)


@frozen
class AdfVehicle:
    """A vehicle a prospect asks about (or offers as a trade-in)."""

    interest: str = "buy"
    status: str = "new"
    year: int | None = None
    make: str | None = None
    model: str | None = None
    vin: str | None = None
    trim: str | None = None
    stock: str | None = None
    odometer: int | None = None
    odometer_units: str | None = None
    colour: str | None = None
    price: str | None = None
    currency: str | None = None
    comments: str | None = None

    def as_json(self) -> dict[str, object]:
        """The vehicle as kept on the lead's assignment: only what the document said."""
        return asdict(self, filter=lambda _, value: value is not None)


@frozen
class AdfLead:
    """One ``<prospect>``: the person, the vehicles, who sent it; ``refused`` says why it is unusable."""

    position: int
    """Its place in the document, from 1."""
    lead_id: str | None = None
    id_source: str | None = None
    status: str = "new"
    request_date: datetime | None = None
    first_name: str | None = None
    last_name: str | None = None
    organisation_name: str | None = None
    emails: tuple[str, ...] = ()
    phones: tuple[tuple[str, str], ...] = ()
    """(number, type) with the type one of PHONE_TYPES."""
    street: str | None = None
    city: str | None = None
    region: str | None = None
    postcode: str | None = None
    country: str | None = None
    comments: str | None = None
    timeframe: str | None = None
    vehicles: tuple[AdfVehicle, ...] = ()
    vendor_name: str | None = None
    provider_name: str | None = None
    refused: str | None = None

    @property
    def wanted(self) -> AdfVehicle | None:
        """The vehicle of interest: the first one not offered for sale or trade-in."""
        return next((v for v in self.vehicles if v.interest not in ("sell", "trade-in")), None)


def parse_date(text: str | None) -> datetime | None:
    """An ADF date-time as producers write it (``-08:0``, one-digit hours, no seconds), or None."""
    found = _DATE.match(text or "")
    if found is None:
        return None
    year, month, day, hour, minute, second, offset = found.groups()
    try:
        stamp = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
        )
    except ValueError:
        return None
    return stamp.replace(tzinfo=_zone(offset)).astimezone(UTC)


def _zone(offset: str | None) -> timezone:
    if offset is None or offset.upper() == "Z":
        return UTC
    sign = -1 if offset[0] == "-" else 1
    hours, _, minutes = offset[1:].partition(":")
    if not minutes and len(hours) > 2:
        hours, minutes = hours[:2], hours[2:]
    delta = timedelta(hours=int(hours), minutes=int((minutes or "0").ljust(2, "0")))
    return timezone(sign * delta) if delta < timedelta(hours=15) else UTC


def _children(element: Element | None, name: str) -> list[Element]:
    return [] if element is None else element.findall(name)


def _child(element: Element | None, name: str) -> Element | None:
    found = _children(element, name)
    return found[0] if found else None


def _text(element: Element | None, name: str | None = None) -> str | None:
    target = element if name is None else _child(element, name)
    if target is None:
        return None
    text = " ".join("".join(target.itertext()).split())
    return text[:MAX_TEXT] or None


def _whole(text: str | None) -> int | None:
    digits = re.sub(r"[\s,.]", "", text or "")
    return int(digits) if digits.isdigit() and len(digits) < 10 else None


def _vehicle(element: Element) -> AdfVehicle:
    interest = (element.get("interest") or "buy").lower()
    status = (element.get("status") or "new").lower()
    odometer = _child(element, "odometer")
    colours = _child(element, "colorcombination")
    price = _child(element, "price")
    return AdfVehicle(
        interest=interest if interest in INTERESTS else "buy",
        status=status if status in ("new", "used") else "new",
        year=_whole(_text(element, "year")),
        make=_text(element, "make"),
        model=_text(element, "model"),
        vin=_text(element, "vin"),
        trim=_text(element, "trim"),
        stock=_text(element, "stock"),
        odometer=_whole(_text(odometer)),
        odometer_units=None if odometer is None else odometer.get("units"),
        colour=_text(colours, "exteriorcolor"),
        price=_text(price),
        currency=None if price is None else price.get("currency"),
        comments=_text(element, "comments"),
    )


def _names(contact: Element | None) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in _children(contact, "name"):
        part = (name.get("part") or "full").lower()
        text = _text(name)
        if text and (name.get("type") or "").lower() == "business":
            found.setdefault("organisation_name", text)
        elif text and part in ("first", "last"):
            found.setdefault(f"{part}_name", text)
        elif text and part in ("full", "surname"):
            found.setdefault("full", text)
    full = found.pop("full", None)
    if full and not (found.get("first_name") or found.get("last_name")):
        first, _, last = full.rpartition(" ")
        found.update(first_name=first or None, last_name=last)
    return found


def _phones(contact: Element | None) -> tuple[tuple[str, str], ...]:
    phones = []
    for phone in _children(contact, "phone"):
        number = _text(phone)
        kind = (phone.get("type") or "voice").lower()
        if number:
            phones.append(
                (number, kind if kind in PHONE_TYPES else _PHONE_ALIASES.get(kind, "voice"))
            )
    return tuple(phones)


def _prospect(position: int, element: Element) -> AdfLead:
    customer = _child(element, "customer")
    contact = _child(customer, "contact")
    address = _child(contact, "address")
    ident = _child(element, "id")
    vendor = _child(element, "vendor")
    provider = _child(element, "provider")
    emails = tuple(e for e in (_text(x) for x in _children(contact, "email")) if e)
    phones = _phones(contact)
    streets = " ".join(filter(None, (_text(s) for s in _children(address, "street"))))
    lead = AdfLead(
        position=position,
        lead_id=_text(ident),
        id_source=None if ident is None else ident.get("source"),
        status="resend" if (element.get("status") or "").lower() == "resend" else "new",
        request_date=parse_date(_text(element, "requestdate")),
        emails=emails,
        phones=phones,
        street=streets or None,
        city=_text(address, "city"),
        region=_text(address, "regioncode"),
        postcode=_text(address, "postalcode"),
        country=_text(address, "country"),
        comments=_text(customer, "comments"),
        timeframe=_text(_child(customer, "timeframe"), "description"),
        vehicles=tuple(_vehicle(v) for v in _children(element, "vehicle")),
        vendor_name=_text(vendor, "vendorname") or _text(_child(vendor, "contact"), "name"),
        provider_name=_text(provider, "name"),
        **_names(contact),
    )
    if contact is None:
        return _refused(lead, "the prospect has no customer contact")
    if not (emails or phones or streets or lead.postcode):
        return _refused(lead, "the contact has no e-mail address, phone number or postal address")
    return lead


def _refused(lead: AdfLead, reason: str) -> AdfLead:
    return evolve(lead, refused=reason)


def parse_adf(body: bytes, *, max_bytes: int = 1_000_000, max_leads: int = 1000) -> list[AdfLead]:
    """Every ``<prospect>`` of an ADF document, in order; refused ones carry their reason.

    ValidationError(``body``) when the document as a whole cannot be read: not XML, unsafe
    (a DTD, entities), larger than ``max_bytes``, no ``<adf>`` root, no prospect, or more
    than ``max_leads`` of them.
    """
    root = read_xml(body, field="body", max_bytes=max_bytes)
    for element in root.iter():
        # Producers write <Prospect>, or put ADF in a namespace: known by their local names.
        element.tag = local_name(element).lower()
    if root.tag != "adf":
        raise ValidationError("body", f"the root element is <{root.tag}>, not <adf>")
    prospects = _children(root, "prospect")
    if not prospects:
        raise ValidationError("body", "the document has no <prospect>")
    if len(prospects) > max_leads:
        raise ValidationError("body", f"the document has more than {max_leads} prospects")
    return [_prospect(n, element) for n, element in enumerate(prospects, start=1)]


def _add(parent: Element, tag: str, text: str | int | None, **attributes: str) -> Element | None:
    if text is None or text == "":
        return None
    element = SubElement(parent, tag, attributes)
    element.text = str(text)
    return element


def _write_vehicle(parent: Element, vehicle: AdfVehicle) -> None:
    element = SubElement(parent, "vehicle", interest=vehicle.interest, status=vehicle.status)
    _add(element, "year", vehicle.year)
    _add(element, "make", vehicle.make)
    _add(element, "model", vehicle.model)
    _add(element, "vin", vehicle.vin)
    _add(element, "stock", vehicle.stock)
    _add(element, "trim", vehicle.trim)
    if vehicle.odometer is not None:
        _add(element, "odometer", vehicle.odometer, units=vehicle.odometer_units or "km")
    if vehicle.colour:
        colours = SubElement(element, "colorcombination")
        _add(colours, "exteriorcolor", vehicle.colour)
        _add(colours, "preference", 1)
    if vehicle.price:
        _add(
            element,
            "price",
            vehicle.price,
            **({"currency": vehicle.currency} if vehicle.currency else {}),
        )
    _add(element, "comments", vehicle.comments)


def _write_contact(parent: Element, lead: AdfLead) -> None:
    contact = SubElement(parent, "contact")
    if lead.organisation_name:
        _add(contact, "name", lead.organisation_name, part="full", type="business")
    _add(contact, "name", lead.first_name, part="first")
    _add(contact, "name", lead.last_name, part="last")
    for email in lead.emails:
        _add(contact, "email", email)
    for number, kind in lead.phones:
        _add(contact, "phone", number, type=kind)
    if lead.street or lead.city or lead.postcode:
        address = SubElement(contact, "address")
        _add(address, "street", lead.street or "", line="1")
        _add(address, "city", lead.city)
        _add(address, "regioncode", lead.region)
        _add(address, "postalcode", lead.postcode)
        _add(address, "country", lead.country)


def to_adf(leads: AdfLead | list[AdfLead]) -> bytes:
    """An ADF 1.0 document (XML declaration, then the ``adf`` processing instruction) of ``leads``."""
    root = Element("adf")
    for lead in [leads] if isinstance(leads, AdfLead) else leads:
        prospect = SubElement(root, "prospect", status=lead.status)
        _add(prospect, "id", lead.lead_id, sequence="1", source=lead.id_source or "crmkit")
        stamp = lead.request_date or datetime.now(UTC)
        _add(prospect, "requestdate", stamp.astimezone(UTC).isoformat(timespec="seconds"))
        for vehicle in lead.vehicles or (AdfVehicle(),):
            _write_vehicle(prospect, vehicle)
        customer = SubElement(prospect, "customer")
        _write_contact(customer, lead)
        if lead.timeframe:
            timeframe = SubElement(customer, "timeframe")
            _add(timeframe, "description", lead.timeframe)
        _add(customer, "comments", lead.comments)
        if lead.vendor_name:  # a lead no dealer was offered has none to name
            vendor = SubElement(prospect, "vendor")
            _add(vendor, "vendorname", lead.vendor_name)
            vendor_contact = SubElement(vendor, "contact")
            _add(vendor_contact, "name", lead.vendor_name, part="full")
        provider = SubElement(prospect, "provider")
        _add(provider, "name", lead.provider_name or "crmkit", part="full")
    body = tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<?adf version="1.0"?>\n{body}\n'.encode()
