"""Parties as vCards and back: which property holds which field.

Reading (:func:`card_fields`) gives a card's values under the import's field
names, so that a vCard file goes through the same import as a CSV file:

- ``N`` gives the last name (family names) and the first name (given and
  additional names); without ``N`` a person's ``FN`` is split at its last space.
- ``KIND:org`` (4.0) or Apple's ``X-ABShowAs:COMPANY`` make an organisation,
  named by ``ORG`` (its first component; units are left out) or ``FN``; a
  person's ``ORG`` is the organisation they belong to.
- Every ``EMAIL`` and every ``TEL`` but fax-only ones, most preferred first;
  ``tel:`` URIs (4.0) are read with their extension.
- Every ``ADR``, most preferred first: with RFC 9554's street name and number
  components when present, else the street component as the street; the
  extended address and post office box as the second line; a country name
  becomes its ISO code when it is a common one. The first fills the address
  columns (and the rejects file), the others follow it.
- ``BDAY`` with a year (``1963-09-21``, ``19630921``, a date-time); a birthday
  without a year (``--0203``) has no place in a party and is left out.
- ``UID`` is the import key; a card without one is keyed by a hash of its lines.

Other properties (``NOTE``, ``CATEGORIES``, ``TITLE``, ``URL``, ``PHOTO`` ...)
have no field in a party: they are named in the import's ignored columns.

Writing (:func:`party_card`) gives every field back in the version asked for.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from attrs import frozen

from crmkit.core.entities import Party
from crmkit.core.matching.record import normalise_country
from crmkit.core.values import MULTI_VALUE_SEPARATOR, PostalAddress
from crmkit.core.vcard import Card, Property, content_line, escape, structured

CARD_COLUMNS = (
    "uid",
    "kind",
    "first_name",
    "last_name",
    "organisation_name",
    "birth_date",
    "emails",
    "phones",
    "street",
    "street_number",
    "address_line2",
    "postcode",
    "city",
    "region",
    "country",
)
"""The columns a card becomes, ``uid`` (the key) first and then import fields."""

KEY_COLUMN = "uid"

READ = frozenset({"N", "FN", "KIND", "X-ABSHOWAS", "ORG", "EMAIL", "TEL", "ADR", "BDAY", "UID"})
"""Properties that feed a field; ``VERSION``, ``PRODID`` and ``REV`` are about the file."""
ABOUT_THE_FILE = frozenset({"PRODID", "REV"})

_DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})(?:T.*)?$")
_STREET_NUMBER, _STREET_NAME = 10, 11
"""RFC 9554's ADR components (after RFC 6350's seven, room, apartment and floor)."""


@frozen
class CardFields:
    """A card's values by column of :data:`CARD_COLUMNS`, and what was left out."""

    values: dict[str, str]
    ignored: tuple[str, ...]
    more_addresses: tuple[dict[str, str], ...] = ()
    """The addresses after the most preferred one, by address field."""


def card_fields(card: Card) -> CardFields:
    """The values of ``card`` under the import's field names (empty ones left out)."""
    values: dict[str, str] = {}
    ignored = {p.name for p in card.properties} - READ - ABOUT_THE_FILE
    _names(card, values)
    emails = [p.text().strip() for p in card.all("EMAIL")]
    phones = [_phone(p) for p in card.all("TEL") if not _fax_only(p)]
    if any(_fax_only(p) for p in card.all("TEL")):
        ignored.add("TEL;TYPE=fax")
    values["emails"] = MULTI_VALUE_SEPARATOR.join(e for e in emails if e)
    values["phones"] = MULTI_VALUE_SEPARATOR.join(p for p in phones if p)
    addresses = [_address(a) for a in card.all("ADR")]
    if addresses:
        values.update(addresses[0])
    if (birthday := card.first("BDAY")) is not None:
        found = _DATE.match(birthday.text().strip())
        if found:
            values["birth_date"] = "-".join(found.groups())
        else:
            ignored.add("BDAY without a year")
    uid = card.first("UID")
    values[KEY_COLUMN] = uid.text().strip() if uid is not None else ""
    values[KEY_COLUMN] = values[KEY_COLUMN] or _content_hash(card)
    return CardFields(
        {name: value for name, value in values.items() if value},
        tuple(sorted(ignored)),
        tuple({k: v for k, v in a.items() if v} for a in addresses[1:]),
    )


def _names(card: Card, values: dict[str, str]) -> None:
    kind = card.first("KIND")
    shown_as = card.first("X-ABSHOWAS")
    organisation = (
        kind is not None and kind.text().strip().lower() in ("org", "organization")
    ) or (shown_as is not None and shown_as.text().strip().upper() == "COMPANY")
    full_name = card.first("FN")
    shown = full_name.text().strip() if full_name is not None else ""
    org = card.first("ORG")
    org_name = org.components()[0][0].strip() if org is not None else ""
    values["organisation_name"] = org_name or (shown if organisation else "")
    if organisation:
        values["kind"] = "organisation"
        return
    name = card.first("N")
    if name is not None:
        parts = [*name.components(), [], []]
        values["last_name"] = " ".join(v.strip() for v in parts[0] if v.strip())
        given = [*parts[1], *parts[2]]
        values["first_name"] = " ".join(v.strip() for v in given if v.strip())
    if not values.get("last_name") and not values.get("first_name") and shown:
        if shown == org_name:  # a 3.0 card of a company without X-ABShowAs
            values["kind"] = "organisation"
            return
        first, _, last = shown.rpartition(" ")
        values["first_name"], values["last_name"] = first, last


def _phone(prop: Property) -> str:
    text = prop.text().strip()
    if text.lower().startswith("tel:"):
        number, _, parameters = text[4:].partition(";")
        extension = re.search(r"(?:^|;)ext=([0-9]+)", parameters)
        return f"{number} ext. {extension.group(1)}" if extension else number
    return text


def _fax_only(prop: Property) -> bool:
    return "fax" in prop.types and "voice" not in prop.types


def _address(prop: Property) -> dict[str, str]:
    parts = [", ".join(v.strip() for v in c if v.strip()) for c in prop.components()]
    parts += [""] * (_STREET_NAME + 1 - len(parts))
    pobox, extended, street, city, region, postcode, country = parts[:7]
    values = {
        "address_line2": ", ".join(p for p in (extended, pobox) if p),
        "city": city,
        "region": region,
        "postcode": postcode,
        "country": normalise_country(country) or country,
    }
    if parts[_STREET_NAME]:
        values["street"], values["street_number"] = parts[_STREET_NAME], parts[_STREET_NUMBER]
    else:
        values["street"] = street
    return values


def _content_hash(card: Card) -> str:
    lines = sorted(
        repr((p.name, sorted(p.params.items()), p.value))
        for p in card.properties
        if p.name not in ABOUT_THE_FILE
    )
    return "sha256:" + hashlib.sha256("\n".join(lines).encode()).hexdigest()


# --- Writing.


def party_uid(entity: Party) -> str:
    """The UID a party's card carries: the same on every export of that party."""
    assert entity.id is not None and entity.created_at is not None
    name = f"crmkit:party:{entity.id}:{entity.created_at.isoformat()}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def party_card(entity: Party, version: str) -> str:
    """One vCard of ``version`` (3.0 or 4.0) holding every field of the party above."""
    four = version == "4.0"
    lines = ["BEGIN:VCARD\r\n", content_line("VERSION", version)]
    lines.append(content_line("UID", escape(party_uid(entity))))
    organisation = entity.kind == "organisation"
    if organisation:
        lines.append(content_line("KIND", "org") if four else content_line("X-ABShowAs", "COMPANY"))
    lines.append(content_line("FN", escape(entity.display_name)))
    if not organisation or not four:  # N is required in 3.0
        lines.append(
            content_line(
                "N", structured([entity.last_name or "", entity.first_name or "", "", "", ""])
            )
        )
    if entity.organisation_name:
        lines.append(content_line("ORG", escape(entity.organisation_name)))
    if entity.birth_date is not None:
        day = entity.birth_date
        lines.append(content_line("BDAY", day.strftime("%Y%m%d") if four else day.isoformat()))
    for i, email in enumerate(entity.emails):
        lines.append(content_line("EMAIL", escape(email.original), _emailed(four, first=i == 0)))
    for i, phone in enumerate(entity.phones):
        if four:
            params = [("VALUE", "uri"), *([("PREF", "1")] if i == 0 else [])]
            lines.append(content_line("TEL", f"tel:{phone.e164}", params))
        else:
            lines.append(
                content_line("TEL", phone.e164, [("TYPE", "VOICE,PREF" if i == 0 else "VOICE")])
            )
    for i, address in enumerate(entity.addresses):
        pref = [("PREF", "1") if four else ("TYPE", "PREF")] if i == 0 else []
        lines.append(content_line("ADR", structured(_components(address, four)), pref))
    if entity.updated_at is not None:
        lines.append(content_line("REV", _timestamp(entity.updated_at)))
    lines.append("END:VCARD\r\n")
    return "".join(lines)


def _emailed(four: bool, *, first: bool) -> list[tuple[str, str]]:
    if four:
        return [("PREF", "1")] if first else []
    return [("TYPE", "INTERNET,PREF" if first else "INTERNET")]


def _components(address: PostalAddress, four: bool) -> Sequence[str]:
    street = " ".join(p for p in (address.street, address.street_number) if p)
    components = [
        "",
        address.address_line2 or "",
        street,
        address.city or "",
        address.region or "",
        address.postcode or "",
        address.country or "",
    ]
    if four and address.street_number:
        # RFC 9554 keeps name and number apart, so that reading the card back splits them again.
        components += ["", "", "", address.street_number, address.street or ""]
    return components


def _timestamp(moment: datetime) -> str:
    utc = moment.astimezone(UTC) if moment.tzinfo is not None else moment  # stored in UTC
    return utc.strftime("%Y%m%dT%H%M%SZ")
