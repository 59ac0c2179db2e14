"""A party reduced to what identity matching compares, built from raw fields or a stored party."""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable, Mapping
from datetime import date

import attrs
import phonenumbers
import pycountry
from attrs import frozen

from crmkit.core.entities import Party
from crmkit.core.errors import ValidationError
from crmkit.core.matching.dates import parse_birth_date
from crmkit.core.matching.text import fold, fold_name
from crmkit.core.stand_in import real_name
from crmkit.core.values import COUNTRY_CODES, MULTI_VALUE_SEPARATOR

MATCH_FIELDS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "full_name",
    "organisation",
    "email",
    "phone",
    "street",
    "street_number",
    "address_line2",
    "city",
    "postcode",
    "region",
    "country",
    "birth_date",
    "national_id",
    "external_id",
)
"""The fields a record for matching is built from (the names ``crmkit match --map`` accepts)."""

_PHONE_SEPARATORS = str.maketrans("", "", " -./()\u00a0")
_TITLES = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "miss",
        "dr",
        "prof",
        "herr",
        "frau",
        "m",
        "mme",
        "mlle",
        "sr",
        "sra",
        "srta",
        "dott",
        "dssa",
        "sig",
        "sir",
    }
)
_LEGAL_FORMS = frozenset(
    {
        "gmbh",
        "ag",
        "kg",
        "co",
        "ohg",
        "gbr",
        "ug",
        "ek",
        "e",
        "k",
        "mbh",
        "ltd",
        "limited",
        "plc",
        "llc",
        "llp",
        "inc",
        "corp",
        "corporation",
        "company",
        "sa",
        "sas",
        "sarl",
        "sasu",
        "eurl",
        "sl",
        "slu",
        "srl",
        "spa",
        "snc",
        "bv",
        "nv",
    }
)
# Street words in their long and short forms; both sides of a comparison use the short one.
_STREET_WORDS = {
    "strasse": "str",
    "street": "st",
    "road": "rd",
    "avenue": "ave",
    "av": "ave",
    "avenida": "ave",
    "boulevard": "bd",
    "blvd": "bd",
    "lane": "ln",
    "drive": "dr",
    "place": "pl",
    "platz": "pl",
    "square": "sq",
    "calle": "c",
    "via": "v",
    "viale": "vle",
    "piazza": "p",
    "plaza": "pl",
}
# Names pycountry does not know: local and informal ones seen in address books and CRM exports.
_LOCAL_COUNTRY_NAMES = {
    "deutschland": "DE",
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "espana": "ES",
    "italia": "IT",
    "osterreich": "AT",
    "schweiz": "CH",
    "suisse": "CH",
    "svizzera": "CH",
    "nederland": "NL",
    "holland": "NL",
    "russia": "RU",
}


@frozen
class MatchRecord:
    """A person or organisation normalised for matching; every text is folded (see ``fold``)."""

    first_name: str = ""
    last_name: str = ""
    organisation: str = ""
    """Without its legal form ("Brandt GmbH" -> "brandt")."""
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    """E.164."""
    street: str = ""
    street_number: str = ""
    address_line2: str = ""
    city: str = ""
    postcode: str = ""
    region: str = ""
    country: str = ""
    """ISO 3166 alpha-2, or "" when unknown."""
    birth_date: date | None = None
    national_id: str = ""
    external_id: str = ""

    @property
    def is_person(self) -> bool:
        return bool(self.first_name or self.last_name)

    def __reduce__(self) -> tuple[type[MatchRecord], tuple[object, ...]]:
        # Pickled as a plain tuple of values, several times faster than attrs' state
        # dictionary: worker processes hand back a million records on a large file.
        return MatchRecord, _field_values(self)


_field_values = operator.attrgetter(*(field.name for field in attrs.fields(MatchRecord)))


def _values(raw: str | None) -> list[str]:
    if not raw:
        return []
    return [v.strip() for v in raw.split(MULTI_VALUE_SEPARATOR) if v.strip()]


def normalise_email(raw: str) -> str | None:
    """The form two spellings of one mailbox share, or None when ``raw`` is no address."""
    text = raw.strip().casefold().removeprefix("mailto:")
    local, at, domain = text.rpartition("@")
    if not at or not local or "." not in domain or " " in text:
        return None
    local = local.partition("+")[0] or local  # sub-addresses reach the same mailbox
    if domain in ("gmail.com", "googlemail.com"):
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


@functools.cache
def _plan(region: str) -> tuple[str, tuple[str, ...], frozenset[int]] | None:
    """Calling code, trunk prefixes and possible lengths of ``region``, if its numbers are simple.

    Simple: national numbers lose nothing but a fixed trunk prefix ("0"; "0" or
    "180020" in the United Kingdom) on the way to E.164.
    """
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.general_desc is None or metadata.national_prefix_transform_rule:
        return None
    trunks = (
        tuple((metadata.national_prefix_for_parsing or "").split("|"))
        if metadata.national_prefix_for_parsing
        else ()
    )
    if not all(t.isdigit() for t in trunks) or (metadata.national_prefix or "") not in (
        *trunks,
        "",
    ):
        return None
    lengths = frozenset(metadata.general_desc.possible_length)
    return str(metadata.country_code), trunks, lengths


def _national(digits: str, trunks: tuple[str, ...]) -> str | None:
    """``digits`` without their trunk prefix; None when one would be left (an unusual spelling)."""
    for trunk in trunks:
        if digits.startswith(trunk):
            digits = digits[len(trunk) :]
            break
    if digits.startswith(trunks):
        return None
    return digits


@functools.cache
def _dials_00_abroad(region: str) -> bool:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    return metadata is not None and metadata.international_prefix == "00"


def _plain_e164(raw: str, region: str) -> str | None:
    """E.164 of an ordinarily written number without the full parser, or None when unsure."""
    if "(0)" in raw:
        return None
    digits = raw.translate(_PHONE_SEPARATORS)
    if digits.startswith("+") or (digits.startswith("00") and _dials_00_abroad(region)):
        digits = digits[1:] if digits.startswith("+") else digits[2:]
        if not digits.isdigit():
            return None
        for length in (1, 2, 3):
            code = phonenumbers.region_code_for_country_code(int(digits[:length]))
            if code != phonenumbers.UNKNOWN_REGION:
                plan = _plan(code)
                national = digits[length:]
                if plan is None or _national(national, plan[1]) != national:
                    return None  # a trunk prefix after the country code, which E.164 drops
                return f"+{digits}" if len(national) in plan[2] else None
        return None
    plan = _plan(region)
    if plan is None or not digits.isdigit():
        return None
    code, trunks, lengths = plan
    local = _national(digits, trunks)
    if local is None or len(local) not in lengths:
        return None
    return f"+{code}{local}"


def normalise_phone(raw: str, region: str) -> str | None:
    """``raw`` in E.164, or None when it cannot be a phone number of ``region`` or abroad."""
    plain = _plain_e164(raw, region)
    if plain is not None:
        return plain
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@functools.cache
def _country_names() -> dict[str, str]:
    """Folded English short, official and common names and alpha-3 codes, to alpha-2 codes."""
    names = {}
    for country in pycountry.countries:
        for name in ("alpha_3", "name", "official_name", "common_name"):
            if value := getattr(country, name, None):
                names[fold(value)] = country.alpha_2
    return names | _LOCAL_COUNTRY_NAMES


@functools.lru_cache(maxsize=4096)
def normalise_country(raw: str | None) -> str:
    """An ISO 3166 alpha-2 code from a code, an alpha-3 code or a country's name; "" when unknown.

    Case and accents do not count ("ÖSTERREICH", "Côte d'Ivoire"), nor a leading "the".
    """
    if not raw:
        return ""
    code = raw.strip().upper()
    if len(code) == 2 and code in COUNTRY_CODES:
        return code
    folded = fold(raw)
    return _country_names().get(folded.removeprefix("the "), "")


def _street(raw: str) -> str:
    words = []
    for word in fold(raw).split():
        if word.endswith("strasse") and word != "strasse":
            word = word.removesuffix("strasse") + "str"
        words.append(_STREET_WORDS.get(word, word))
    return " ".join(words)


def _split_street(street: str, number: str) -> tuple[str, str]:
    """Street and house number, taking the number off the street ("12 Main St", "Hauptstr 12")."""
    if number or not street:
        return street, number.replace(" ", "")
    words = street.split()
    if len(words) > 1 and words[-1][0].isdigit():
        return " ".join(words[:-1]), words[-1]
    if len(words) > 1 and words[0][0].isdigit():
        return " ".join(words[1:]), words[0]
    return street, ""


def _organisation(raw: str | None) -> str:
    words = [w for w in fold(raw or "").split() if w not in _LEGAL_FORMS]
    return " ".join(words)


def _person_name(first: str | None, last: str | None, full: str | None) -> tuple[str, str]:
    first_name, last_name = fold_name(first or ""), fold_name(last or "")
    if first_name or last_name:
        if not last_name and "," in (first or ""):
            return _person_name(None, None, first)
        if not first_name and "," in (last or ""):
            return _person_name(None, None, last)
        return first_name, last_name
    if not full:
        return "", ""
    if "," in full:  # "Last, First"
        surname, _, given = full.partition(",")
        return _person_name(given, surname, None)
    words = [w for w in fold_name(full).split() if w not in _TITLES]
    if len(words) < 2:
        return "", " ".join(words)
    return " ".join(words[:-1]), words[-1]


def _record(
    fields: Mapping[str, str | None],
    country: str,
    *,
    emails: Iterable[str],
    phones: Iterable[str | None],
    birth_date: date | None,
) -> MatchRecord:
    """The record of ``fields`` with the contact points and the birth date read by the caller."""
    first_name, last_name = _person_name(
        fields.get("first_name"), fields.get("last_name"), fields.get("full_name")
    )
    street, number = _split_street(
        _street(fields.get("street") or ""), fold(fields.get("street_number") or "")
    )
    return MatchRecord(
        first_name=first_name,
        last_name=last_name,
        organisation=_organisation(fields.get("organisation")),
        emails=tuple(sorted({e for e in map(normalise_email, emails) if e})),
        phones=tuple(sorted({p for p in phones if p})),
        street=street,
        street_number=number,
        address_line2=fold(fields.get("address_line2") or ""),
        city=fold_name(fields.get("city") or ""),
        postcode="".join(fold(fields.get("postcode") or "").split()).upper(),
        region=fold(fields.get("region") or ""),
        country=country,
        birth_date=birth_date,
        national_id="".join(c for c in (fields.get("national_id") or "") if c.isalnum()).upper(),
        external_id=(fields.get("external_id") or "").strip(),
    )


def _check_region(default_region: str) -> None:
    if default_region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError("default_region", f"{default_region!r} is not an ISO country code")


def record_from_fields(fields: Mapping[str, str | None], *, default_region: str) -> MatchRecord:
    """A record from raw text keyed by :data:`MATCH_FIELDS`; values that make no sense are dropped.

    Several emails or phones may share one value, separated by ``;``. Phones
    and dates of birth are read in the record's country, else ``default_region``.
    """
    _check_region(default_region)
    country = normalise_country(fields.get("country"))
    region = country or default_region
    raw_birth_date = fields.get("birth_date")
    return _record(
        fields,
        country,
        emails=_values(fields.get("email")),
        phones=(normalise_phone(v, region) for v in _values(fields.get("phone"))),
        birth_date=parse_birth_date(raw_birth_date, region=region) if raw_birth_date else None,
    )


def record_from_party(party: Party) -> MatchRecord:
    """The record of a stored party (its first address is the one compared).

    A stored party needs no region: its phones are E.164 and its birth date is
    a date already. A name that only stands in for a missing one
    (:mod:`crmkit.core.stand_in`) is no name here.
    """
    address = party.addresses[0] if party.addresses else None
    return _record(
        {
            "first_name": real_name(party, "first_name"),
            "last_name": real_name(party, "last_name"),
            "organisation": real_name(party, "organisation_name"),
            "street": address.street if address else None,
            "street_number": address.street_number if address else None,
            "address_line2": address.address_line2 if address else None,
            "city": address.city if address else None,
            "postcode": address.postcode if address else None,
            "region": address.region if address else None,
        },
        normalise_country(address.country if address else None),
        emails=(a.normalised for a in party.emails),
        phones=(p.e164 for p in party.phones),
        birth_date=party.birth_date,
    )
