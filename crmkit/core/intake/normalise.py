"""Normalising a prospect's raw data: names, emails, phones in E.164, addresses.

What cannot be used (an email that is no address, a number that is no phone)
is dropped and reported as a soft finding, so that one bad value does not
lose the rest of the prospect; the sanity check decides whether enough remains.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crmkit.core.errors import ValidationError
from crmkit.core.intake.findings import Finding
from crmkit.core.matching.record import normalise_country
from crmkit.core.parties import NAME_FIELDS
from crmkit.core.values import EmailAddress, PhoneNumber, clean_text


def normalise_name(value: str) -> str:
    """White space and unicode cleaned; a name typed all in capitals or all in lower case gets
    the usual capitals ("ANNA MÜLLER-LÜDENSCHEIDT" -> "Anna Müller-Lüdenscheidt")."""
    text = clean_text(value)
    if text.isupper() or text.islower():
        return text.title()
    return text


def normalise(
    data: Mapping[str, Any], *, region: str | None
) -> tuple[dict[str, Any], list[Finding]]:
    """``data`` cleaned for :func:`~crmkit.core.parties.build_party`, and what had to be dropped.

    Phones without a country code are read in the country of the prospect's
    first address, else in ``region``. Values of the wrong type are left as
    they are, for ``build_party`` to reject naming the field.
    """
    cleaned = dict(data)
    findings: list[Finding] = []
    for name in NAME_FIELDS:
        if isinstance(cleaned.get(name), str):
            cleaned[name] = normalise_name(cleaned[name]) or None
    if isinstance(cleaned.get("addresses"), list):
        cleaned["addresses"] = [
            _address(a, i, findings) if isinstance(a, Mapping) else a
            for i, a in enumerate(cleaned["addresses"])
        ]
    country = _first_country(cleaned.get("addresses"))
    if isinstance(cleaned.get("emails"), list):
        cleaned["emails"] = _emails(cleaned["emails"], findings)
    if isinstance(cleaned.get("phones"), list):
        cleaned["phones"] = _phones(cleaned["phones"], country or region, findings)
    return cleaned, findings


def _emails(values: list[Any], findings: list[Finding]) -> list[Any]:
    kept: list[Any] = []
    for i, value in enumerate(values):
        if not isinstance(value, str):
            kept.append(value)
            continue
        try:
            kept.append(EmailAddress.parse(value, field_name=f"emails[{i}]").original)
        except ValidationError as exc:
            findings.append(Finding("email_invalid", "soft", exc.field, exc.reason))
    return kept


def _phones(values: list[Any], region: str | None, findings: list[Finding]) -> list[Any]:
    kept: list[Any] = []
    for i, value in enumerate(values):
        if not isinstance(value, str):
            kept.append(value)
            continue
        try:
            kept.append(PhoneNumber.parse(value, region=region, field_name=f"phones[{i}]").e164)
        except ValidationError as exc:
            findings.append(Finding("phone_invalid", "soft", exc.field, exc.reason))
    return kept


def _address(value: Mapping[str, Any], index: int, findings: list[Finding]) -> dict[str, Any]:
    address = dict(value)
    raw_country = address.get("country")
    if isinstance(raw_country, str) and raw_country.strip():
        code = normalise_country(raw_country)
        if not code:
            findings.append(
                Finding(
                    "country_unknown",
                    "soft",
                    f"addresses[{index}].country",
                    f"{raw_country!r} is no country this CRM knows; it was left out",
                )
            )
        address["country"] = code or None
    postcode = address.get("postcode")
    if isinstance(postcode, str):
        address["postcode"] = clean_text(postcode).upper() or None
    for name in ("street", "city"):
        if isinstance(address.get(name), str):
            address[name] = normalise_name(address[name]) or None
    return address


def _first_country(addresses: Any) -> str | None:
    if isinstance(addresses, list):
        for address in addresses:
            if isinstance(address, Mapping) and isinstance(address.get("country"), str):
                return str(address["country"])
    return None
