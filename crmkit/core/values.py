"""Value objects: immutable, validated at construction, compared by value."""

from __future__ import annotations

import functools
import unicodedata
from decimal import Decimal
from typing import Any

import phonenumbers
import pycountry
from attrs import field, frozen
from email_validator import EmailNotValidError, validate_email

from crmkit.core.errors import ValidationError

MULTI_VALUE_SEPARATOR = ";"
"""Separates several emails or phone numbers in one text value, as in a CSV cell."""


def clean_text(value: str) -> str:
    """Unicode-normalise (NFC) and collapse runs of white space."""
    return " ".join(unicodedata.normalize("NFC", value).split())


@frozen
class EmailAddress:
    """An email address as given, with the form used to match it against others."""

    original: str
    normalised: str

    @classmethod
    def parse(cls, raw: str, *, field_name: str = "email") -> EmailAddress:
        text = raw.strip()
        normalised, problem = _normalised_email(text)
        if normalised is None:
            raise ValidationError(field_name, f"{text!r} is not a valid email address: {problem}")
        return cls(original=text, normalised=normalised)

    def __str__(self) -> str:
        return self.original


@frozen
class PhoneNumber:
    """A phone number, stored in E.164 (``+4930123456``)."""

    e164: str

    @classmethod
    def parse(
        cls, raw: str, *, region: str | None = None, field_name: str = "phone"
    ) -> PhoneNumber:
        if raw in _formatted:
            return cls(raw)
        e164, problem = _e164(raw, region)
        if e164 is None:
            raise ValidationError(field_name, problem)
        return cls(e164)

    def international(self) -> str:
        """The number formatted for people, e.g. ``+49 30 123456``."""
        return phonenumbers.format_number(
            parsed_phone(self.e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )

    def __str__(self) -> str:
        return self.e164


# Parsing an address or a number costs more than anything else done with it, and one
# taken in is read several times over (normalised, checked, indexed for search and matching).


@functools.lru_cache(maxsize=8192)
def _normalised_email(text: str) -> tuple[str | None, str]:
    """``(the form to match by, "")`` for a valid address, else ``(None, why not)``."""
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        return None, str(exc)
    # Local parts are case-sensitive in theory; no real mailbox provider treats them so.
    return checked.normalized.casefold(), ""


@functools.lru_cache(maxsize=8192)
def _e164(raw: str, region: str | None) -> tuple[str | None, str]:
    """``(E.164, "")`` for a valid number, else ``(None, why not)``."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        return None, f"{raw!r} is not a phone number: {exc}"
    if not phonenumbers.is_valid_number(number):
        where = f" for region {region}" if region else ""
        return None, f"{raw!r} is not a valid phone number{where}"
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if len(_formatted) >= _FORMATTED_KEPT:
        _formatted.clear()
    _formatted.add(e164)
    return e164, ""


_FORMATTED_KEPT = 65_536
_formatted: set[str] = set()
"""Numbers :func:`_e164` wrote lately: valid E.164 as they are, so reading one back (intake
normalises a number, then builds the party from it) needs no parser."""


@functools.lru_cache(maxsize=8192)
def parsed_phone(e164: str) -> phonenumbers.PhoneNumber:
    """A stored number, parsed; the object is shared, so callers only read it."""
    return phonenumbers.parse(e164)


@functools.lru_cache(maxsize=8192)
def phone_type(e164: str) -> int:
    """The kind of line (a ``phonenumbers.PhoneNumberType``) of a stored number."""
    return phonenumbers.number_type(parsed_phone(e164))


COUNTRY_CODES: frozenset[str] = frozenset(
    {country.alpha_2 for country in pycountry.countries} | phonenumbers.SUPPORTED_REGIONS
)
"""ISO 3166 alpha-2 codes, and the few more that phone numbers use (XK for Kosovo, AC, TA)."""


def _country_code(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    code = value.strip().upper()
    if code not in COUNTRY_CODES:
        raise ValidationError("country", f"{value!r} is not an ISO 3166 alpha-2 country code")
    return code


@frozen
class PostalAddress:
    """A postal address; ``country`` is an ISO 3166 alpha-2 code."""

    street: str | None = None
    street_number: str | None = None
    address_line2: str | None = None
    postcode: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = field(default=None, converter=_country_code)

    def is_empty(self) -> bool:
        return not any(
            (self.street, self.street_number, self.address_line2, self.postcode, self.city)
        )

    def one_line(self) -> str:
        street = " ".join(p for p in (self.street, self.street_number) if p)
        place = " ".join(p for p in (self.postcode, self.city) if p)
        return ", ".join(p for p in (street, self.address_line2, place, self.country) if p)


def _decimal(value: Decimal | int | str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        # A float cannot hold most cent amounts exactly; refuse it rather than round silently.
        raise ValidationError("amount", f"{value!r} must be a Decimal, an int or a string")
    try:
        amount = Decimal(value)
    except ArithmeticError:
        raise ValidationError("amount", f"{value!r} is not a decimal number") from None
    if not amount.is_finite():
        raise ValidationError("amount", f"{value!r} is not a finite amount")
    return amount


NOT_MONEY = frozenset({"XAG", "XAU", "XPD", "XPT", "XBA", "XBB", "XBC", "XBD", "XTS", "XXX"})
"""ISO 4217 codes that name no money a customer pays in: precious metals, bond market units,
the code for testing and the one for no currency."""


@functools.cache
def currencies() -> frozenset[str]:
    """The ISO 4217 codes of currencies in use, as pycountry lists them."""
    return frozenset(c.alpha_3 for c in pycountry.currencies) - NOT_MONEY


def read_currency(field: str, value: Any) -> str:
    """An ISO 4217 code of a currency in use, written as ISO writes it (``EUR``)."""
    if not isinstance(value, str) or value not in currencies():
        raise ValidationError(field, f"{value!r} is not an ISO 4217 currency code such as EUR")
    return value


def _currency(value: str) -> str:
    return read_currency("currency", value.strip().upper())


@frozen
class Money:
    """An amount of money: a Decimal and an ISO 4217 currency code; never a float."""

    amount: Decimal = field(converter=_decimal)
    currency: str = field(converter=_currency)
